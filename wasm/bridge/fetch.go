//go:build js && wasm

package bridge

import (
	"github.com/eventsource-wasm/eventsource-wasm/wasm/conn"
	"github.com/hack-pad/safejs"
)

// A stage is what a connection waits for.
type stage int

const (
	stageStart    stage = iota // a resolved promise, before calling the headers callback
	stageHeaders               // the headers callback's result
	stageBody                  // the body callback's result
	stageResponse              // fetch's response
	stageRead                  // the reader's next chunk
)

// A connection is one attempt: it prepares the request, fetches it, and
// reads the body, reporting to the source's state machine. It waits on one
// promise at a time, always through the same pair of functions, which it
// releases once it is finished and no promise still holds them.
type connection struct {
	src     *source
	attempt int
	req     conn.Request
	stage   stage

	headers, body safejs.Value // the resolved request headers and body
	controller    safejs.Value // the fetch's AbortController
	response      safejs.Value
	reader        safejs.Value

	onValue, onError safejs.Func
	pending          bool // a promise holds onValue and onError
	finished         bool // aborted or ended: the funcs go when pending clears
	released         bool
}

func newConnection(src *source, attempt int, req conn.Request) (*connection, error) {
	c := &connection{src: src, attempt: attempt, req: req}
	var err error
	if c.onValue, err = safejs.FuncOf(c.settled(c.value)); err != nil {
		return nil, err
	}
	if c.onError, err = safejs.FuncOf(c.settled(c.failure)); err != nil {
		c.onValue.Release()
		return nil, err
	}
	return c, nil
}

// settled wraps a promise callback: it notes that no promise holds the
// funcs any more, ignores the outcome of a finished connection, and turns a
// panic into an error event rather than a crashed module.
func (c *connection) settled(handle func(safejs.Value)) func(safejs.Value, []safejs.Value) any {
	return func(_ safejs.Value, args []safejs.Value) any {
		c.pending = false
		if c.finished {
			c.release()
			return nil
		}
		defer c.src.recoverPanic()
		arg := safejs.Undefined()
		if len(args) > 0 {
			arg = args[0]
		}
		handle(arg)
		return nil
	}
}

// start prepares and sends the request. When the source has header or body
// callbacks, they run in a later microtask, so that even a callback that
// throws is reported asynchronously, as every EventSource error is.
func (c *connection) start() {
	opts := &c.src.opts
	if opts.headersFunc.IsUndefined() && opts.bodyFunc.IsUndefined() {
		c.headers, c.body = opts.headers, opts.body
		c.fetch()
		return
	}
	c.stage = stageStart
	p, err := jsPromise.Call("resolve")
	c.await(p, err)
}

// await waits for promise p; err is the error of the call that made it.
func (c *connection) await(p safejs.Value, err error) {
	if err != nil {
		// A synchronous throw is reported through a rejected promise,
		// so that it arrives asynchronously like any other failure.
		p, err = jsPromise.Call("reject", err.Error())
		if err != nil {
			c.src.core.Fail(c.attempt, conn.ReasonInternal, err)
			return
		}
	}
	c.pending = true
	if _, err := p.Call("then", c.onValue, c.onError); err != nil {
		c.pending = false
		c.src.core.Fail(c.attempt, conn.ReasonInternal, err)
	}
}

// callback calls an options callback and waits for its result.
func (c *connection) callback(fn safejs.Value, next stage) {
	c.stage = next
	result, err := fn.Invoke()
	if err != nil {
		c.await(safejs.Undefined(), err)
		return
	}
	p, err := jsPromise.Call("resolve", result)
	c.await(p, err)
}

// value handles the value a promise resolved with, according to the stage.
func (c *connection) value(v safejs.Value) {
	opts := &c.src.opts
	switch c.stage {
	case stageStart:
		if !opts.headersFunc.IsUndefined() {
			c.callback(opts.headersFunc, stageHeaders)
			return
		}
		c.headers = opts.headers
		c.prepareBody()
	case stageHeaders:
		c.headers = v
		c.prepareBody()
	case stageBody:
		c.body = v
		c.fetch()
	case stageResponse:
		c.responded(v)
	case stageRead:
		c.chunk(v)
	}
}

// prepareBody calls the body callback, if any, then fetches.
func (c *connection) prepareBody() {
	opts := &c.src.opts
	if !opts.bodyFunc.IsUndefined() {
		c.callback(opts.bodyFunc, stageBody)
		return
	}
	c.body = opts.body
	c.fetch()
}

// failure handles a rejected promise or a thrown callback.
func (c *connection) failure(reason safejs.Value) {
	why := conn.ReasonNetwork
	if c.stage < stageResponse {
		why = conn.ReasonRequestSetup
	}
	c.src.core.Fail(c.attempt, why, jsError(reason))
}

// fetch sends the request (§9.2.3, "fetch the event source"): mode cors,
// credentials per withCredentials, cache mode no-store, Accept:
// text/event-stream and, once there is one, the Last-Event-ID header.
func (c *connection) fetch() {
	c.stage = stageResponse
	headers, err := c.requestHeaders()
	if err != nil {
		c.stage = stageHeaders // a setup failure, reported as such
		c.await(safejs.Undefined(), err)
		return
	}
	if c.controller, err = jsAbortController.New(); err != nil {
		c.await(safejs.Undefined(), err)
		return
	}
	signal, err := c.controller.Get("signal")
	if err != nil {
		c.await(safejs.Undefined(), err)
		return
	}
	opts := &c.src.opts
	init := map[string]any{
		"method":      opts.method,
		"headers":     headers,
		"credentials": opts.credentials,
		"cache":       "no-store",
		"mode":        "cors",
		"redirect":    "follow",
		"signal":      signal,
	}
	if !c.body.IsUndefined() && !c.body.IsNull() && opts.method != "GET" && opts.method != "HEAD" {
		init["body"] = c.body
	}
	c.await(opts.fetch.Invoke(c.req.URL, init))
}

// requestHeaders builds the request's Headers from the page's headers and
// the ones EventSource itself sends.
func (c *connection) requestHeaders() (safejs.Value, error) {
	h, err := jsHeaders.New()
	if !c.headers.IsUndefined() && !c.headers.IsNull() {
		h, err = jsHeaders.New(c.headers)
	}
	if err != nil {
		return h, err
	}
	if has, err := h.Call("has", "Accept"); err == nil {
		if ok, _ := has.Bool(); !ok {
			if _, err := h.Call("set", "Accept", "text/event-stream"); err != nil {
				return h, err
			}
		}
	}
	if c.req.LastEventID != "" {
		if _, err := h.Call("set", "Last-Event-ID", conn.LastEventIDHeader(c.req.LastEventID)); err != nil {
			return h, err
		}
	}
	return h, nil
}

// responded checks the response head, then starts reading the body.
func (c *connection) responded(resp safejs.Value) {
	c.response = resp
	r := conn.Response{
		Status:     int(numberField(resp, "status", 0)),
		StatusText: stringField(resp, "statusText", ""),
		URL:        stringField(resp, "url", ""),
	}
	if headers, err := resp.Get("headers"); err == nil {
		if ct, err := headers.Call("get", "Content-Type"); err == nil && ct.Type() == safejs.TypeString {
			r.ContentType, _ = ct.String()
		}
	}
	c.src.core.Response(c.attempt, r)
	if c.finished {
		return
	}
	body := field(resp, "body")
	if body.IsNull() || body.IsUndefined() {
		c.src.core.End(c.attempt)
		return
	}
	reader, err := body.Call("getReader")
	if err != nil {
		c.src.core.Fail(c.attempt, conn.ReasonNetwork, err)
		return
	}
	c.reader = reader
	c.stage = stageRead
	c.read()
}

func (c *connection) read() {
	c.await(c.reader.Call("read"))
}

// chunk hands one read's bytes to the state machine and reads on.
func (c *connection) chunk(result safejs.Value) {
	if done, err := result.Get("done"); err != nil {
		c.src.core.Fail(c.attempt, conn.ReasonNetwork, err)
		return
	} else if ok, _ := done.Bool(); ok {
		c.src.core.End(c.attempt)
		return
	}
	value, err := result.Get("value")
	if err != nil {
		c.src.core.Fail(c.attempt, conn.ReasonNetwork, err)
		return
	}
	n := int(numberField(value, "byteLength", 0))
	buf := c.src.readBuffer(n)
	if _, err := safejs.CopyBytesToGo(buf, value); err != nil {
		c.src.core.Fail(c.attempt, conn.ReasonNetwork, err)
		return
	}
	c.src.core.Chunk(c.attempt, buf)
	if !c.finished {
		c.read()
	}
}

// abort cancels the fetch, which also errors its body stream, and releases
// the funcs unless a promise still holds them.
func (c *connection) abort() {
	if c.finished {
		return
	}
	c.finished = true
	if !c.controller.IsUndefined() {
		_, _ = c.controller.Call("abort")
	}
	if !c.pending {
		c.release()
	}
}

func (c *connection) release() {
	if c.released {
		return
	}
	c.released = true
	c.onValue.Release()
	c.onError.Release()
}
