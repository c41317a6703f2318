package importfile_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/rosterhq/roster/importfile"
)

func TestReadCSV(t *testing.T) {
	// Semicolons (a European Excel export), a byte-order mark, a blank
	// line kept so that row numbers match, and Windows-1252 text.
	rows, err := importfile.Read([]byte("\ufeffemail;name\n\nana@example.com;Ana\n"), "people.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !slices.Equal(rows[0], []string{"email", "name"}) || rows[1] != nil || rows[2][1] != "Ana" {
		t.Errorf("rows = %q", rows)
	}
	rows, err = importfile.Read([]byte("email,name\nj@example.com,Jos\xe9\n"), "")
	if err != nil || rows[1][1] != "José" {
		t.Errorf("Windows-1252: %q %v", rows, err)
	}
}

func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"Email", "Name"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"ada@example.com", "Ada"})
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	rows, err := importfile.Read(buf.Bytes(), "")
	if err != nil || len(rows) != 2 || rows[1][0] != "ada@example.com" {
		t.Errorf("rows = %q, %v", rows, err)
	}
}

func TestReadRefusals(t *testing.T) {
	if _, err := importfile.Read([]byte{0xD0, 0xCF, 0x11, 0xE0, 0, 0}, "old.xls"); !errors.Is(err, importfile.ErrOldExcel) {
		t.Errorf("an .xls file: %v", err)
	}
	var fe *importfile.Error
	if _, err := importfile.Read([]byte("PK\x03\x04 not really a zip"), "x.xlsx"); !errors.As(err, &fe) || fe.Reason == "" {
		t.Errorf("a broken .xlsx: %v", err)
	}
}
