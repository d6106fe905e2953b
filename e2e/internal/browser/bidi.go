package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/coder/websocket"
)

// bidiConn is a WebDriver BiDi connection (W3C WebDriver BiDi, "Transport"):
// commands are JSON objects {id, method, params} sent on a WebSocket, each
// answered by a message with the same id; events are messages with a
// method and no id.
type bidiConn struct {
	ws *websocket.Conn

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan bidiMessage
	onEvent func(method string, params json.RawMessage)
	closed  error // why reading stopped, once it has

	done chan struct{} // closed when reading stops
}

// bidiMessage is any message from the remote end.
type bidiMessage struct {
	ID      *int64          `json:"id"`
	Type    string          `json:"type"` // "success", "error" or "event"
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
}

// dialBiDi connects to the WebSocket at url; onEvent gets every event, on
// the connection's reading goroutine.
func dialBiDi(ctx context.Context, url string, onEvent func(method string, params json.RawMessage)) (*bidiConn, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("WebDriver BiDi: dial %s: %w", url, err)
	}
	ws.SetReadLimit(64 << 20)
	c := &bidiConn{ws: ws, pending: map[int64]chan bidiMessage{}, onEvent: onEvent, done: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *bidiConn) read() {
	defer close(c.done)
	for {
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.mu.Lock()
			c.closed = err
			for id, ch := range c.pending {
				close(ch)
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		var m bidiMessage
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		if m.ID == nil {
			if m.Method != "" && c.onEvent != nil {
				c.onEvent(m.Method, m.Params)
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[*m.ID]
		delete(c.pending, *m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// call sends a command and decodes its result into result, unless result
// is nil.
func (c *bidiConn) call(ctx context.Context, method string, params, result any) error {
	c.mu.Lock()
	if c.closed != nil {
		c.mu.Unlock()
		return fmt.Errorf("WebDriver BiDi: %s: the connection is closed: %w", method, c.closed)
	}
	c.nextID++
	id := c.nextID
	ch := make(chan bidiMessage, 1)
	c.pending[id] = ch
	c.mu.Unlock()

	cmd, err := json.Marshal(struct {
		ID     int64  `json:"id"`
		Method string `json:"method"`
		Params any    `json:"params"`
	}{id, method, params})
	if err != nil {
		return err
	}
	if err := c.ws.Write(ctx, websocket.MessageText, cmd); err != nil {
		return fmt.Errorf("WebDriver BiDi: %s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("WebDriver BiDi: %s: the connection closed", method)
		}
		if m.Type == "error" {
			return &bidiError{Method: method, Code: m.Error, Message: m.Message}
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(m.Result, result)
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("WebDriver BiDi: %s: %w", method, ctx.Err())
	}
}

func (c *bidiConn) close() error {
	err := c.ws.Close(websocket.StatusNormalClosure, "")
	<-c.done
	return err
}

// A bidiError is an error response to a command.
type bidiError struct {
	Method, Code, Message string
}

func (e *bidiError) Error() string {
	return fmt.Sprintf("WebDriver BiDi: %s: %s: %s", e.Method, e.Code, e.Message)
}

// isBiDiError reports whether err is an error response with code.
func isBiDiError(err error, code string) bool {
	var e *bidiError
	return errors.As(err, &e) && e.Code == code
}
