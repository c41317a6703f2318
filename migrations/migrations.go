// Package migrations holds Roster's SQL schema, one folder per dialect with the
// same version numbers, embedded so the binary migrates its own database.
// It holds no Go logic beyond the embedding: directory/ applies it with goose.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
