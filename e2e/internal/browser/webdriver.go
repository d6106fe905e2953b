package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// webDriver is a session of W3C WebDriver ("classic": commands are HTTP
// requests to a remote end, answered with {"value": …}).
type webDriver struct {
	base    string // the remote end, e.g. http://127.0.0.1:4444
	session string // the session's id, once made
	client  http.Client
}

// A webDriverError is an error response (WebDriver §6.6, "Errors").
type webDriverError struct {
	Command, Code, Message string
}

func (e *webDriverError) Error() string {
	return fmt.Sprintf("WebDriver: %s: %s: %s", e.Command, e.Code, e.Message)
}

// command sends a command to path (under the session's URL when sessioned)
// and decodes the value of its response into result, unless result is nil.
func (d *webDriver) command(ctx context.Context, method, path string, params, result any) error {
	url := d.base + path
	if d.session != "" {
		url = d.base + "/session/" + d.session + path
	}
	var body io.Reader
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.client.Do(req)
	if err != nil {
		return fmt.Errorf("WebDriver: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	var reply struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		return fmt.Errorf("WebDriver: %s %s: %s: %w", method, path, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		json.Unmarshal(reply.Value, &e)
		return &webDriverError{Command: method + " " + path, Code: e.Error, Message: e.Message}
	}
	if result == nil {
		return nil
	}
	return json.Unmarshal(reply.Value, result)
}

// newSession makes the session, with capabilities alwaysMatch, and returns
// the capabilities the remote end matched.
func (d *webDriver) newSession(ctx context.Context, alwaysMatch map[string]any) (map[string]any, error) {
	var res struct {
		SessionID    string         `json:"sessionId"`
		Capabilities map[string]any `json:"capabilities"`
	}
	err := d.command(ctx, http.MethodPost, "/session", map[string]any{
		"capabilities": map[string]any{"alwaysMatch": alwaysMatch},
	}, &res)
	if err != nil {
		return nil, err
	}
	d.session = res.SessionID
	return res.Capabilities, nil
}

// navigate loads url and waits for its load event (WebDriver's "Navigate
// To" with the normal page load strategy).
func (d *webDriver) navigate(ctx context.Context, url string) error {
	return d.command(ctx, http.MethodPost, "/url", map[string]any{"url": url}, nil)
}

// execute runs script, the body of a function, and awaits the promise it
// returns, if any ("Execute Script").
func (d *webDriver) execute(ctx context.Context, script string, result any) error {
	return d.command(ctx, http.MethodPost, "/execute/sync", map[string]any{"script": script, "args": []any{}}, result)
}

func (d *webDriver) deleteSession(ctx context.Context) error {
	if d.session == "" {
		return nil
	}
	err := d.command(ctx, http.MethodDelete, "", nil, nil)
	d.session = ""
	return err
}
