package provision

import (
	"fmt"
	"maps"
	"slices"

	"github.com/rosterhq/roster/directory/internal/store"
)

// checkJSONValue applies CheckText to every string of a JSON value kept
// as it was sent (a SCIM resource's attributes), object keys included,
// strings at most MaxTextLength characters and arrays at most MaxValues
// long; field names the value ("emails[2].type") in a refusal.
func checkJSONValue(field string, v any) error {
	switch x := v.(type) {
	case string:
		return store.CheckText(field, x, store.MaxTextLength)
	case []any:
		if len(x) > store.MaxValues {
			return store.NewFieldError(field, "%s must have at most %d values (it has %d)", field, store.MaxValues, len(x))
		}
		for i, el := range x {
			if err := checkJSONValue(fmt.Sprintf("%s[%d]", field, i), el); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			name := k
			if field != "" {
				name = field + "." + k
			}
			if err := store.CheckText(name, k, store.MaxProfileKeyLength); err != nil {
				return err
			}
			if err := checkJSONValue(name, x[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSCIMUser applies the field limits to what a SCIM client sends for
// a user: userName and externalId up to MaxIdentifierLength, the person's
// name and language as checkPerson says, and every string kept in the
// resource (CheckText, MaxTextLength, MaxValues).
func checkSCIMUser(in *SCIMUserInput) error {
	if err := store.CheckText("userName", in.UserName, store.MaxIdentifierLength); err != nil {
		return err
	}
	if in.ExternalID != nil {
		if err := store.CheckText("externalId", *in.ExternalID, store.MaxIdentifierLength); err != nil {
			return err
		}
	}
	// The attributes first: a refusal names the attribute as sent rather
	// than the name or language derived from it.
	if err := checkJSONValue("", in.Attrs); err != nil {
		return err
	}
	if err := store.CheckPerson(in.Name, "", in.Locale); err != nil {
		return err
	}
	if len(in.Emails) > store.MaxValues {
		return store.NewFieldError("emails", "emails must have at most %d values (it has %d)", store.MaxValues, len(in.Emails))
	}
	for i, e := range in.Emails {
		for _, f := range []struct{ name, value string }{{"value", e.Value}, {"type", e.Type}, {"display", e.Display}} {
			if err := store.CheckText(fmt.Sprintf("emails[%d].%s", i, f.name), f.value, store.MaxTextLength); err != nil {
				return err
			}
		}
	}
	return store.CheckText("email", in.Email, 0)
}

// checkSCIMGroup applies the field limits to a group's name, externalId
// and member references (ids and displays), whether created or changed.
func checkSCIMGroup(displayName, externalID *string, members []SCIMMemberRef) error {
	if displayName != nil {
		if err := store.CheckText("displayName", *displayName, store.MaxNameLength); err != nil {
			return err
		}
	}
	if externalID != nil {
		if err := store.CheckText("externalId", *externalID, store.MaxIdentifierLength); err != nil {
			return err
		}
	}
	for i, m := range members {
		if err := store.CheckText(fmt.Sprintf("members[%d].value", i), m.Value, store.MaxIdentifierLength); err != nil {
			return err
		}
		if err := store.CheckText(fmt.Sprintf("members[%d].display", i), m.Display, store.MaxNameLength); err != nil {
			return err
		}
	}
	return nil
}
