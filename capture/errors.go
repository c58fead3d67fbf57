package capture

import (
	"errors"
	"fmt"
)

// DOMException is one of the spec's named exceptions. The package's sentinels
// (ErrNotFound, ErrNotReadable, ...) are DOMExceptions; the errors returned by
// this package wrap one of them, so errors.Is(err, ErrNotReadable) works and
// ErrorName(err) gives the spec's name.
type DOMException struct {
	Name string // the spec's name, e.g. "NotReadableError"
}

func (e *DOMException) Error() string { return e.Name }

// The spec's exceptions, as sentinels for errors.Is.
var (
	// ErrNotFound: no device of the requested kind exists.
	ErrNotFound = &DOMException{Name: "NotFoundError"}
	// ErrNotReadable: the device exists but could not be opened or read.
	ErrNotReadable = &DOMException{Name: "NotReadableError"}
	// ErrNotAllowed: the user or the system refused access.
	ErrNotAllowed = &DOMException{Name: "NotAllowedError"}
	// ErrAbort: the request was cancelled (its context ended).
	ErrAbort = &DOMException{Name: "AbortError"}
	// ErrInvalidState: the call is not allowed in the object's state.
	ErrInvalidState = &DOMException{Name: "InvalidStateError"}
	// ErrTypeError: what was passed is not constraints at all.
	ErrTypeError = &DOMException{Name: "TypeError"}
	// ErrOverconstrained matches every *OverconstrainedError.
	ErrOverconstrained = &DOMException{Name: "OverconstrainedError"}
	// ErrTrackEnded is what a reader of an ended track returns.
	ErrTrackEnded = errors.New("capture: track ended")
)

// domError is a DOMException with a message.
type domError struct {
	kind *DOMException
	msg  string
	err  error // an underlying cause, if any
}

func (e *domError) Error() string {
	if e.err != nil {
		return e.kind.Name + ": " + e.msg + ": " + e.err.Error()
	}
	return e.kind.Name + ": " + e.msg
}

func (e *domError) Unwrap() []error {
	if e.err != nil {
		return []error{e.kind, e.err}
	}
	return []error{e.kind}
}

// NewError returns an error of the spec kind (one of the sentinels) with a
// message; cause, if not nil, is wrapped as well. Backends use it so their
// errors carry the spec's names.
func NewError(kind *DOMException, cause error, format string, args ...any) error {
	return &domError{kind: kind, msg: fmt.Sprintf(format, args...), err: cause}
}

// OverconstrainedError is returned when no settings satisfy a required
// constraint; Constraint names it ("width", "deviceId", ...).
type OverconstrainedError struct {
	Constraint string
	Message    string
}

func (e *OverconstrainedError) Error() string {
	switch {
	case e.Message == "":
		return "OverconstrainedError: constraint " + e.Constraint + " cannot be satisfied"
	case e.Constraint == "":
		// No single constraint fails; the spec leaves the name empty.
		return "OverconstrainedError: " + e.Message
	}
	return "OverconstrainedError: " + e.Constraint + ": " + e.Message
}

// Is makes errors.Is(err, ErrOverconstrained) true.
func (e *OverconstrainedError) Is(target error) bool { return target == ErrOverconstrained }

// ErrorName returns the spec's exception name of err ("NotReadableError",
// "OverconstrainedError", ...), or "" when err carries none.
func ErrorName(err error) string {
	var oc *OverconstrainedError
	if errors.As(err, &oc) {
		return ErrOverconstrained.Name
	}
	for _, k := range []*DOMException{ErrNotFound, ErrNotReadable, ErrNotAllowed, ErrAbort, ErrInvalidState, ErrTypeError} {
		if errors.Is(err, k) {
			return k.Name
		}
	}
	return ""
}
