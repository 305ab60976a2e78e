// Package stats turns counts of online child sexual offences into tables a
// reader can trust: police and charity Freedom of Information returns (one row
// per police force, one column per app) and incident-level extracts (one row
// per recorded offence) are imported into a Dataset, checked, and rendered as
// a force × app table with a chart.
//
// Three rules run through the package. A force that did not answer is "not
// provided", never zero. A total printed in the source is a stated total: it
// is checked against the sum of the rows, never used as data. A share names
// its denominator in words, and only the denominator this table has.
//
// The package is pure: it reads from an io.Reader and writes to an
// io.Writer. Storing datasets is the store's business.
package stats
