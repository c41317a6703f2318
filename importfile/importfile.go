// Package importfile reads the tables people upload to invite many at
// once (CSV as spreadsheets export it, and Excel .xlsx) into rows of
// cells, for the doors that accept uploads (the admin API, the console).
// What the rows mean is directory's business (directory.ImportRequest).
package importfile

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"github.com/rosterhq/roster/directory"
)

// Decompressed-size caps for .xlsx files, which are zip archives: a small
// upload must not expand into gigabytes.
const (
	xlsxUnzipLimit    = 64 << 20
	xlsxUnzipXMLLimit = 32 << 20
)

// ErrOldExcel is an old binary Excel .xls file, which is not read.
var ErrOldExcel = errors.New("this is an old Excel .xls file; save it as .xlsx or as CSV and upload it again")

// Error is a file that cannot be read, said for people.
type Error struct{ Reason string }

func (e *Error) Error() string { return e.Reason }

func fail(format string, args ...any) error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// Read turns an uploaded file into rows, blank ones included, so that
// row numbers in an answer are the ones a spreadsheet shows. name is the
// file's name, when known. The error is ErrOldExcel or an *Error.
func Read(file []byte, name string) ([][]string, error) {
	switch {
	case bytes.HasPrefix(file, []byte("PK\x03\x04")) || strings.HasSuffix(strings.ToLower(name), ".xlsx"):
		return readXLSX(file)
	case bytes.HasPrefix(file, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, ErrOldExcel
	}
	return readCSV(file)
}

// readCSV reads CSV as spreadsheets export it: UTF-8 (with or without a
// byte-order mark) or, failing that, Windows-1252, which Excel on Windows
// still writes; separated by commas, semicolons (European locales) or
// tabs, whichever the header uses. Blank lines are kept as empty rows so
// row numbers match the file's lines.
func readCSV(file []byte) ([][]string, error) {
	if !utf8.Valid(file) {
		decoded, err := charmap.Windows1252.NewDecoder().Bytes(file)
		if err != nil {
			return nil, fail("the file is neither UTF-8 nor Windows-1252 text; save it as UTF-8 CSV")
		}
		file = decoded
	}
	file = bytes.TrimPrefix(file, []byte("\ufeff"))
	first, _, _ := bytes.Cut(file, []byte("\n"))
	sep, best := ',', bytes.Count(first, []byte(","))
	for _, s := range []rune{';', '\t'} {
		if n := bytes.Count(first, []byte(string(s))); n > best {
			sep, best = s, n
		}
	}
	r := csv.NewReader(bytes.NewReader(file))
	r.Comma, r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = sep, -1, true, false
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fail("the CSV cannot be read: %s", err.Error())
		}
		line, _ := r.FieldPos(0)
		for len(rows) < line-1 {
			rows = append(rows, nil)
		}
		rows = append(rows, rec)
		if len(rows) > directory.MaxImportRows+100 {
			return nil, fail("at most %d people per import; split the file", directory.MaxImportRows)
		}
	}
	return rows, nil
}

// readXLSX reads the first sheet of an .xlsx workbook.
func readXLSX(file []byte) ([][]string, error) {
	f, err := excelize.OpenReader(bytes.NewReader(file), excelize.Options{UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: xlsxUnzipXMLLimit})
	if err != nil {
		return nil, fail("the Excel file cannot be opened (%s); save it again as .xlsx or CSV", err.Error())
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fail("the workbook has no sheet")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, fail("the first sheet cannot be read: %s", err.Error())
	}
	if len(rows) > directory.MaxImportRows+100 {
		return nil, fail("at most %d people per import; split the file", directory.MaxImportRows)
	}
	return rows, nil
}
