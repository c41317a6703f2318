package store

// SCIMField is what a SCIM list can filter and sort on: the facts the
// directory keeps about a SCIM user or group. The SCIM door maps the
// schema's attribute names onto these; which attribute means what is SCIM
// knowledge and stays there.
type SCIMField int

// SCIMCond is a condition on SCIM resources, as the SCIM door compiles a
// filter (RFC 7644 3.4.2.2) from the schema's attribute names.
type SCIMCond struct {
	// Op is "and", "or" or "not" (of Left, and Right for the first two),
	// "any" (some email of the user satisfies Left, whose fields are
	// email fields), or a comparison of Field with Value: eq ne co sw ew
	// gt ge lt le, or pr (present).
	Op          string
	Left, Right *SCIMCond
	Field       SCIMField
	// Path is the attribute's place in the stored attributes (object
	// keys), for FieldAttr.
	Path []string
	// Value is a string (nil for "eq null", which means not present), a
	// bool for boolean fields, or a time.Time for times.
	Value any
}

// SCIMSort orders a SCIM list: by Field (and Path, for FieldAttr), then
// id. The zero value orders by id (creation).
type SCIMSort struct {
	Field      SCIMField
	Path       []string
	Descending bool
}
