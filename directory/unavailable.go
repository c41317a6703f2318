package directory

import (
	"time"
)

// RetryAfter is how long doors tell clients to wait before retrying a
// request that failed with ErrUnavailable: about how long a database
// failover or restart takes, and what /readyz needs to notice recovery.
const RetryAfter = 5 * time.Second
