package admin

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/importfile"
)

// Media types of import files.
const (
	mediaCSV  = "text/csv"
	mediaXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// importInvitations invites the people of an uploaded CSV or Excel file.
// The file comes either as the "file" part of a multipart/form-data body
// (with optional role, teams and send_email fields), or as the whole body
// with Content-Type text/csv or the .xlsx type; role, teams and send_email
// may also be query parameters. The answer has one outcome per row.
func (a *API) importInvitations(c *call) (int, any, error) {
	opts := map[string]string{}
	for _, k := range []string{"role", "teams", "send_email"} {
		opts[k] = c.r.URL.Query().Get(k)
	}
	// The cap leaves room for the multipart envelope around the file.
	body := http.MaxBytesReader(c.w, c.r.Body, a.maxUpload+64<<10)
	mt, params, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	var file []byte
	var name string
	var err error
	switch mt {
	case "multipart/form-data":
		file, name, err = a.readMultipart(body, params["boundary"], opts)
	case mediaCSV, mediaXLSX, "application/octet-stream":
		file, err = a.readUpload(body)
		if mt == mediaXLSX {
			name = "upload.xlsx"
		}
	default:
		return 0, nil, newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"upload the file as multipart/form-data (field \"file\"), or send it as the body with Content-Type text/csv or "+mediaXLSX)
	}
	if err != nil {
		return 0, nil, err
	}
	rows, err := readTable(file, name)
	if err != nil {
		return 0, nil, err
	}
	req := directory.ImportRequest{Rows: rows, Role: opts["role"]}
	for _, t := range strings.Split(opts["teams"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			req.Teams = append(req.Teams, t)
		}
	}
	if s := opts["send_email"]; s != "" {
		switch strings.ToLower(s) {
		case "true", "1", "yes", "on":
			req.SendEmail = new(true)
		case "false", "0", "no", "off":
			req.SendEmail = new(false)
		default:
			return 0, nil, errValidation(paramErr("send_email", "must be true or false"))
		}
	}
	outcomes, err := a.d.ImportInvitations(c.r.Context(), c.actor, c.ws, req)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ImportResult{
		Outcomes: listOf(outcomes, ImportOutcomeOf),
		Summary:  summarize(outcomes, func(o directory.ImportOutcome) directory.OutcomeStatus { return o.Status }),
	}, nil
}

// readUpload reads a whole-body upload up to the cap.
func (a *API) readUpload(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, a.maxUpload+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(b)) > a.maxUpload {
		return nil, a.tooLarge()
	}
	return b, nil
}

func (a *API) tooLarge() error {
	return newProblem(http.StatusRequestEntityTooLarge, "too-large", "File too large",
		fmt.Sprintf("import files may be at most %s; split the file", byteSize(a.maxUpload)))
}

// readMultipart streams a multipart body: the "file" part is read up to the
// cap, small text fields fill opts (query parameters win when both are
// given), anything else is refused.
func (a *API) readMultipart(body io.Reader, boundary string, opts map[string]string) ([]byte, string, error) {
	if boundary == "" {
		return nil, "", errBadRequest("the multipart/form-data Content-Type has no boundary")
	}
	mr := multipart.NewReader(body, boundary)
	var file []byte
	var name string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, "", a.tooLarge()
			}
			return nil, "", errBadRequest("the multipart body is malformed: " + err.Error())
		}
		switch field := part.FormName(); field {
		case "file":
			if file != nil {
				return nil, "", errValidation(fieldErr("file", "send one file per import"))
			}
			name = part.FileName()
			if file, err = a.readUpload(part); err != nil {
				var mbe *http.MaxBytesError
				if errors.As(err, &mbe) {
					return nil, "", a.tooLarge()
				}
				return nil, "", err
			}
		case "role", "teams", "send_email":
			v, err := io.ReadAll(io.LimitReader(part, 4<<10))
			if err != nil {
				return nil, "", errBadRequest("the multipart body is malformed: " + err.Error())
			}
			if opts[field] == "" {
				opts[field] = strings.TrimSpace(string(v))
			}
		default:
			return nil, "", errValidation(fieldErr(field, "unknown form field; send file, role, teams and send_email"))
		}
	}
	if file == nil {
		return nil, "", errValidation(fieldErr("file", "is required: the CSV or .xlsx file to import"))
	}
	return file, name, nil
}

// readTable turns an uploaded file into rows (importfile.Read), its
// refusals as problems.
func readTable(file []byte, name string) ([][]string, error) {
	rows, err := importfile.Read(file, name)
	var fe *importfile.Error
	switch {
	case errors.Is(err, importfile.ErrOldExcel):
		return nil, newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported file type", err.Error())
	case errors.As(err, &fe):
		return nil, errValidation(fieldErr("file", fe.Reason))
	}
	return rows, err
}
