package web

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"time"

	"github.com/rosterhq/roster/directory"
)

// carryPurpose seals what a page hands to its next form.
const carryPurpose = "roster-carry"

// ErrCarry is a carried value that did not come back as it was sealed
// for this session and form, or came back too late.
var ErrCarry = errors.New("carried form data was changed, is for another form or session, or has expired")

// maxCarryBytes bounds what a carry opens into, so a small sealed value
// cannot unpack into a large one.
const maxCarryBytes = 64 << 20

// Carry seals data that a page hands to the form it renders (a preview's
// rows, for the confirmation), compressed, bound to the session and to
// what it is for: it is useless in another browser or form, and any
// change to it is refused by OpenCarry.
func (k *Kit) Carry(s *directory.Session, purpose string, data []byte) string {
	var buf bytes.Buffer
	binary.Write(&buf, binary.BigEndian, time.Now().Unix())
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return k.box.Seal(buf.Bytes(), carryPurpose+"\x00"+purpose+"\x00"+sessionID(s))
}

// OpenCarry opens what Carry sealed for this session and purpose, no
// older than maxAge; anything else is ErrCarry.
func (k *Kit) OpenCarry(s *directory.Session, purpose, sealed string, maxAge time.Duration) ([]byte, error) {
	b, err := k.box.Open(sealed, carryPurpose+"\x00"+purpose+"\x00"+sessionID(s))
	if err != nil || len(b) < 8 {
		return nil, ErrCarry
	}
	at := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	if time.Since(at) > maxAge || time.Until(at) > time.Minute {
		return nil, ErrCarry
	}
	zr, err := gzip.NewReader(bytes.NewReader(b[8:]))
	if err != nil {
		return nil, ErrCarry
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxCarryBytes+1))
	if err != nil || len(out) > maxCarryBytes {
		return nil, ErrCarry
	}
	return out, nil
}

// Upload is a file posted with a multipart form.
type Upload struct {
	Name string
	Data []byte
}

// ParseUpload reads a multipart form of at most limit bytes whose file
// field is field, checks its CSRF token as ParseForm does, and returns
// the file (nil when none was chosen). On failure it has already
// answered with a page in words (413 for a body over the limit) and
// returns false.
func (k *Kit) ParseUpload(w http.ResponseWriter, r *http.Request, s *directory.Session, limit int64, field string) (*Upload, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(limit); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			k.Message(w, r, http.StatusRequestEntityTooLarge, s, "File too large",
				fmt.Sprintf("The file is larger than %d MB. Split it into smaller files and upload each one.", limit>>20))
			return nil, false
		}
		k.Message(w, r, http.StatusBadRequest, s, "Form not accepted", "The upload could not be read. Go back and choose the file again.")
		return nil, false
	}
	defer r.MultipartForm.RemoveAll()
	if !k.checkCSRF(r, sessionID(s)) {
		k.Message(w, r, http.StatusForbidden, s, "Form expired", "This form has expired or came from another site. Go back, reload the page and try again.")
		return nil, false
	}
	f, h, err := r.FormFile(field)
	if errors.Is(err, http.ErrMissingFile) {
		return nil, true
	}
	if err != nil {
		k.Message(w, r, http.StatusBadRequest, s, "Form not accepted", "The upload could not be read. Go back and choose the file again.")
		return nil, false
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		k.Message(w, r, http.StatusBadRequest, s, "Form not accepted", "The upload could not be read. Go back and choose the file again.")
		return nil, false
	}
	return &Upload{Name: fileName(h), Data: b}, true
}

func fileName(h *multipart.FileHeader) string {
	if h == nil {
		return ""
	}
	return h.Filename
}
