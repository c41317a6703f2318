package web

import (
	"net/url"
	"slices"
)

// Form is a submitted form shown again: the values as typed and, per
// field, the error to show next to it in a plain sentence.
type Form struct {
	Values url.Values
	Errors map[string]string
}

// NewForm starts a form from submitted (or default) values.
func NewForm(v url.Values) *Form {
	if v == nil {
		v = url.Values{}
	}
	return &Form{Values: v, Errors: map[string]string{}}
}

// Value is the field's first value.
func (f *Form) Value(name string) string { return f.Values.Get(name) }

// Has reports whether the field (a checkbox or multi-select) holds value.
func (f *Form) Has(name, value string) bool { return slices.Contains(f.Values[name], value) }

// Error is the field's error, empty when none.
func (f *Form) Error(name string) string { return f.Errors[name] }

// Fail records a field's error.
func (f *Form) Fail(name, msg string) { f.Errors[name] = msg }

// OK reports whether no field has an error.
func (f *Form) OK() bool { return len(f.Errors) == 0 }

// Field is one text field of a form as the "text-field" part of the kit
// renders it: label, hint, the value as typed and its error.
type Field struct{ Name, Label, Help, Value, Error string }

// Field describes the text field name for the "text-field" part.
func (f *Form) Field(name, label, help string) Field {
	return Field{Name: name, Label: label, Help: help, Value: f.Value(name), Error: f.Error(name)}
}
