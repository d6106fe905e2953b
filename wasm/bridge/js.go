//go:build js && wasm

// Package bridge is the only code of the module that touches JavaScript,
// and it does so through github.com/hack-pad/safejs, which turns JavaScript
// exceptions into Go errors. It gives the connection state machine of
// package conn a Transport built on fetch() and a ReadableStream reader, and
// a Listener that hands the JavaScript shim one batch of events per chunk.
package bridge

import (
	"errors"

	"github.com/hack-pad/safejs"
)

// jsError turns a rejection reason or thrown value into a Go error whose
// message is the value's string form, e.g. "TypeError: Failed to fetch".
func jsError(v safejs.Value) error {
	if s, err := v.Call("toString"); err == nil {
		if text, err := s.String(); err == nil {
			return errors.New(text)
		}
	}
	return errors.New("unknown JavaScript error")
}

// stringField returns the string property name of v, or def when it is
// missing or not a string.
func stringField(v safejs.Value, name, def string) string {
	f := field(v, name)
	if f.Type() != safejs.TypeString {
		return def
	}
	s, err := f.String()
	if err != nil {
		return def
	}
	return s
}

// numberField returns the number property name of v, or def when it is
// missing or not a number.
func numberField(v safejs.Value, name string, def float64) float64 {
	f := field(v, name)
	if f.Type() != safejs.TypeNumber {
		return def
	}
	n, err := f.Float()
	if err != nil {
		return def
	}
	return n
}

// field returns the property name of v, or undefined. It reads nothing of
// undefined and null, which have no properties: in JavaScript that would
// throw, and safejs would record a stack trace for the error, which made
// each source with default options cost milliseconds to open.
func field(v safejs.Value, name string) safejs.Value {
	if v.IsUndefined() || v.IsNull() {
		return safejs.Undefined()
	}
	f, err := v.Get(name)
	if err != nil {
		return safejs.Undefined()
	}
	return f
}

// truthy reports whether v is true in JavaScript's sense.
func truthy(v safejs.Value) bool {
	t, err := v.Truthy()
	return err == nil && t
}
