//go:build js && wasm

package bridge

import (
	"errors"
	"unsafe"

	"github.com/eventsource-wasm/eventsource-wasm/wasm/conn"
	"github.com/hack-pad/safejs"
)

// A module is the set of sources the shim has opened.
type module struct {
	sources map[int]*source
	nextID  int
}

// Serve registers the module's entry points with the shim: it calls
// register({open, close, pause, resume, hold, release, kick, next}) on the host object that the shim
// placed, under the name host, on the global object it gives the Go runtime.
//
//	open(sink, url, options) → id   starts a source; url is absolute
//	close(id)                       closes it, as EventSource.close() does
//	pause(id), resume(id)           disconnects it without an error, and
//	                                reconnects it (conn.Source.Pause)
//	hold(id), release(id)           the shim holds back its reads, and
//	                                reads on (conn.Source.Hold)
//	kick()                          does nothing, but lets Go's scheduler
//	                                run (see readDone)
//	next                            the address of what readDone leaves
//	                                for the shim (see next)
func Serve(host string) error {
	hostObject, err := safejs.Global().Get(host)
	if err != nil || hostObject.IsUndefined() {
		return errors.New("eventsource-wasm: no host object " + host + " to register with")
	}
	m := &module{sources: make(map[int]*source)}
	handlers := map[string]func(safejs.Value, []safejs.Value) any{
		"open":    m.open,
		"close":   m.close,
		"pause":   m.withSource((*conn.Source).Pause),
		"resume":  m.withSource((*conn.Source).Resume),
		"hold":    m.withSource((*conn.Source).Hold),
		"release": m.withSource((*conn.Source).Release),
		"kick":    func(safejs.Value, []safejs.Value) any { return nil },
	}
	exports := map[string]any{"next": uintptr(unsafe.Pointer(&next))}
	for name, handler := range handlers {
		f, err := safejs.FuncOf(handler)
		if err != nil {
			return err
		}
		exports[name] = f
	}
	_, err = hostObject.Call("register", exports)
	return err
}

func (m *module) open(_ safejs.Value, args []safejs.Value) any {
	if len(args) < 3 {
		return 0
	}
	url, err := args[1].String()
	if err != nil {
		return 0
	}
	m.nextID++
	s, err := newSource(m, m.nextID, args[0], url, args[2])
	if err != nil {
		return 0
	}
	m.sources[s.id] = s
	defer s.recoverPanic()
	if truthy(field(args[2], "paused")) {
		// Opened while its page is hidden (the pauseWhenHidden option):
		// no request until resume.
		s.core.Pause()
	}
	s.core.Start()
	return s.id
}

func (m *module) close(_ safejs.Value, args []safejs.Value) any {
	if len(args) < 1 {
		return nil
	}
	id, err := args[0].Int()
	if err != nil {
		return nil
	}
	if s, ok := m.sources[id]; ok {
		m.forget(id)
		defer s.recoverPanic()
		s.core.Close()
	}
	return nil
}

// withSource returns an entry point that calls f on the state machine of
// the source its argument names, if the module still serves it.
func (m *module) withSource(f func(*conn.Source)) func(safejs.Value, []safejs.Value) any {
	return func(_ safejs.Value, args []safejs.Value) any {
		if len(args) < 1 {
			return nil
		}
		id, err := args[0].Int()
		if err != nil {
			return nil
		}
		if s, ok := m.sources[id]; ok {
			defer s.recoverPanic()
			f(s.core)
		}
		return nil
	}
}

func (m *module) forget(id int) { delete(m.sources, id) }
