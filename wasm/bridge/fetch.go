//go:build js && wasm

package bridge

import (
	"errors"
	"unsafe"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/conn"
	"github.com/hack-pad/safejs"
)

// The read buffer of a connection starts at minReadBuffer bytes and
// doubles, up to maxReadBuffer, each time a read fills it: a chunk larger
// than the buffer comes in pieces, one read each. In Chromium, decoding a
// 1 MiB read of 100-byte events took the module about 8 ms, twice as long
// per byte as a 256 KiB read (1-1.3 ms; timed around readDone, on cold
// pages); the cause was not pinned down (the working set of the read
// buffer and the batch outgrowing a core's cache would fit), and a call
// per 256 KiB costs nothing measurable.
const (
	minReadBuffer = 4 << 10
	maxReadBuffer = 256 << 10
)

// What the shim's read function reports instead of a number of bytes.
const (
	endOfBody    = -1
	invalidChunk = -2
)

// A connection is one attempt: it asks the shim to send the request, checks
// the response and reads the body, reporting to the source's state machine.
// It waits for one thing at a time: the response, through onValue and
// onError, then each read, through its id and onError. It releases the
// functions once it is finished and nothing still holds them.
type connection struct {
	src     *source
	attempt int

	response safejs.Value
	reader   safejs.Value
	// buf is where the shim writes what it reads. A pending read holds
	// its address, so it is never replaced while one is pending, and the
	// connection keeps it until the last read has settled.
	buf    []byte
	filled bool // the last read filled buf

	// id names the connection to the shim's reads, which report through
	// the module's exported function readDone (see read).
	id int32

	onValue, onError safejs.Func
	pending          bool // a promise or a read holds onValue, onError or id
	finished         bool // aborted or ended: the funcs go when pending clears
	released         bool
}

// reading holds the connections by id, for readDone.
var (
	reading      = map[int32]*connection{}
	lastReaderID int32
)

func newConnection(src *source, attempt int) (*connection, error) {
	lastReaderID++
	c := &connection{src: src, attempt: attempt, id: lastReaderID}
	var err error
	if c.onValue, err = safejs.FuncOf(c.settled(c.responded)); err != nil {
		return nil, err
	}
	if c.onError, err = safejs.FuncOf(c.settled(c.failure)); err != nil {
		c.onValue.Release()
		return nil, err
	}
	reading[c.id] = c
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

// start asks the shim to send the request (§9.2.3, "fetch the event
// source"); the shim builds it from the page's options and the last event
// ID, and may already have sent it before the module was running.
func (c *connection) start(lastEventID string) {
	c.await(c.src.connect.Invoke(lastEventID))
}

// await waits for promise p; err is the error of the call that made it.
func (c *connection) await(p safejs.Value, err error) {
	if err == nil {
		c.pending = true
		_, err = p.Call("then", c.onValue, c.onError)
		if err == nil {
			return
		}
		c.pending = false
	}
	c.src.core.Fail(c.attempt, conn.ReasonNetwork, err)
}

// failure handles a rejected promise: a network error, the shim's report
// that preparing the request failed (a headers or body callback threw),
// which it marks with requestSetup, or that no request can succeed, marked
// with futile.
func (c *connection) failure(reason safejs.Value) {
	if futile := field(reason, "futile"); futile.Type() == safejs.TypeString {
		// The shim knows that no request can succeed (a URL scheme that
		// fetch never serves): fail without reconnecting.
		msg, _ := futile.String()
		c.src.core.FailForGood(conn.ReasonNetwork, errors.New(msg))
		return
	}
	if setup := field(reason, "requestSetup"); setup.Type() == safejs.TypeString {
		msg, _ := setup.String()
		c.src.core.Fail(c.attempt, conn.ReasonRequestSetup, errors.New(msg))
		return
	}
	c.src.core.Fail(c.attempt, conn.ReasonNetwork, jsError(reason))
}

// responded checks the response head, then starts reading the body.
func (c *connection) responded(resp safejs.Value) {
	c.response = resp
	r := conn.Response{
		Status:     int(numberField(resp, "status", 0)),
		StatusText: stringField(resp, "statusText", ""),
		URL:        stringField(resp, "url", ""),
	}
	if ct, err := field(resp, "headers").Call("get", "Content-Type"); err == nil && ct.Type() == safejs.TypeString {
		r.ContentType, _ = ct.String()
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
	c.read()
}

// read asks the shim for the next bytes of the body: its read function
// writes them into c.buf, in the module's memory, and calls the module's
// exported function readDone with c.id and their number, or endOfBody or
// invalidChunk, or onError if the read failed. An exported function is a
// plain call into WebAssembly: a callback made with FuncOf costs some
// 30 µs a call in this runtime (its event object and arguments become
// references the Go runtime finalizes), and there is one a chunk. Within
// readDone, the read is not a call at all: readDone tells the shim to read
// on (see next).
func (c *connection) read() {
	switch {
	case c.buf == nil:
		c.buf = make([]byte, minReadBuffer)
	case c.filled && len(c.buf) < maxReadBuffer:
		c.buf = make([]byte, 2*len(c.buf))
	}
	c.pending = true
	if next.reading == c {
		next.readAt, next.readCap = addressOf(c.buf), uint32(len(c.buf))
		next.flags |= nextRead
		return
	}
	if _, err := c.src.read.Invoke(c.reader, addressOf(c.buf), len(c.buf), c.id, c.onError); err != nil {
		c.pending = false
		c.src.core.Fail(c.attempt, conn.ReasonNetwork, err)
	}
}

// What readDone asks the shim to do once it returns, as bits of its result.
// Handing the batch and the next read back this way, rather than calling
// the shim's dispatch and read functions from Go, spares each chunk two
// calls out of WebAssembly (each of which converts its arguments through
// syscall/js), and the shim dispatches the events after the module has
// returned, so that handlers calling close() or opening sources do not
// reenter it.
const (
	nextKick  = 1 << iota // a timer was set: call the module's kick function
	nextBatch             // dispatch the batch at next.batchAt, next.batchLen bytes
	nextRead              // read the body on, into next.readAt, next.readCap bytes
)

// next is what readDone leaves for the shim; the shim reads its four
// numbers (batchAt, batchLen, readAt, readCap) from the module's memory at
// the address register gave it, right after readDone returns.
var next struct {
	batchAt, batchLen, readAt, readCap uint32

	flags   int32
	reading *connection // the connection whose read readDone reports
	batch   []byte      // keeps the batch's memory until the shim has read it
}

func addressOf(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }

// readDone is what the shim calls when a read of connection id has
// written n bytes into its buffer (or reports endOfBody or invalidChunk).
// It returns the nextKick, nextBatch and nextRead bits. nextKick is there
// because Go's scheduler, which turns timers into the page's setTimeout,
// does not run after an exported function returns: the shim then calls the
// module's kick function, a FuncOf, which lets it run.
//
//go:wasmexport eventsourceReadDone
func readDone(id, n int32) int32 {
	next.flags, next.batch = 0, nil
	c := reading[id]
	if c == nil {
		return 0
	}
	c.pending = false
	if c.finished {
		c.release()
		return 0
	}
	timersArmed = false
	next.reading = c
	c.chunk(int(n))
	next.reading = nil
	if timersArmed {
		next.flags |= nextKick
		timersArmed = false
	}
	return next.flags
}

// chunk hands the n bytes of one read to the state machine and reads on.
func (c *connection) chunk(n int) {
	defer c.src.recoverPanic()
	switch {
	case n == endOfBody:
		c.src.core.End(c.attempt)
		return
	case n < 0 || n > len(c.buf):
		c.src.core.Fail(c.attempt, conn.ReasonNetwork, errors.New("eventsource-wasm: the body gave an invalid chunk"))
		return
	}
	c.filled = n == len(c.buf)
	if injectFault != nil {
		injectFault(c.src.url)
	}
	c.src.core.Chunk(c.attempt, c.buf[:n])
	if !c.finished {
		c.read()
	}
}

// finish marks the connection finished and releases its funcs unless a
// promise still holds them; that promise settles soon, as the shim aborts
// the request.
func (c *connection) finish() {
	if c.finished {
		return
	}
	c.finished = true
	if !c.pending {
		c.release()
	}
}

func (c *connection) release() {
	if c.released {
		return
	}
	c.released = true
	delete(reading, c.id)
	c.onValue.Release()
	c.onError.Release()
}
