package inviting

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"

	"github.com/rosterhq/roster/directory/internal/store"
)

// checkInvitee applies the limits to one invitee's details: name, phone
// and the extra profile entries (an import's other columns). index is the
// invitee's place in InviteRequest.Invitees, -1 for none.
func checkInvitee(index int, inv Invitee) error {
	err := store.CheckPerson(inv.Name, inv.Phone, "")
	if err == nil {
		err = checkProfile(inv.Profile)
	}
	var fe *store.FieldError
	if errors.As(err, &fe) {
		fe.Invitee = index
	}
	return err
}

func checkProfile(profile map[string]string) error {
	if len(profile) > store.MaxProfileEntries {
		return store.NewFieldError("profile", "profile must have at most %d entries (it has %d)", store.MaxProfileEntries, len(profile))
	}
	for _, k := range slices.Sorted(maps.Keys(profile)) {
		if err := store.CheckText("profile", k, 0); err != nil {
			return err
		}
		if err := store.CheckText("profile", profile[k], 0); err != nil {
			return err
		}
		if n := utf8.RuneCountInString(k); n > store.MaxProfileKeyLength {
			return store.NewFieldError("profile", "profile entry names must be at most %d characters (%.40q… has %d)", store.MaxProfileKeyLength, k, n)
		}
		if n := utf8.RuneCountInString(profile[k]); n > store.MaxProfileValueLength {
			return store.NewFieldError("profile", "%s must be at most %d characters (it has %d)", k, store.MaxProfileValueLength, n)
		}
	}
	return nil
}

// checkCells applies CheckText to every cell of an import row: a role or
// team cell is looked up by name, and other cells are stored.
func checkCells(rec []string) error {
	for i, v := range rec {
		if err := store.CheckText(fmt.Sprintf("column %d", i+1), v, 0); err != nil {
			return err
		}
	}
	return nil
}
