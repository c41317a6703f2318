package store

// SCIMQuery selects and pages SCIM resources.
type SCIMQuery struct {
	// Filter narrows the result; nil matches every resource.
	Filter *SCIMCond
	// Sort orders the result; the zero value orders by id (creation).
	Sort SCIMSort
	// StartIndex is 1-based.
	StartIndex int
	// Count is the page size; 0 asks only for the total.
	Count int
	// AfterID, when set, continues after that id in the default order
	// instead of skipping StartIndex-1 rows: a hint from the previous page
	// (scim_paging.go) that makes deep pages cost the same as the first.
	AfterID string
	// Total, when set, is the total an earlier page of the same list
	// reported: a full page reuses it instead of counting again, so paging
	// through a large list does not count it once per page.
	Total *int
}
