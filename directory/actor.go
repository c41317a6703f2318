package directory

import "github.com/rosterhq/roster/directory/internal/store"

// Operator is the server operator acting through the CLI.
func Operator() store.Actor {
	return store.Actor{Kind: store.ActorOperator, Name: "Roster operator", Source: "cli"}
}
