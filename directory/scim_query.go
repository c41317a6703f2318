package directory

import (
	"database/sql/driver"

	"github.com/rosterhq/roster/directory/internal/store"
	"modernc.org/sqlite"
)

func init() {
	// sqlite's lower() folds ASCII only; case-insensitive SCIM attributes
	// kept in JSON are compared with the same folding as Go's foldCase.
	sqlite.MustRegisterDeterministicScalarFunction("roster_fold", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		switch v := args[0].(type) {
		case string:
			return store.FoldCase(v), nil
		case []byte:
			return store.FoldCase(string(v)), nil
		}
		return args[0], nil
	})
}
