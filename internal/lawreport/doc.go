// Package lawreport makes the reports a case sends to law enforcement: the
// report to the UK National Crime Agency (JSON, schema version "1", checked
// against schema/nca-report.schema.json before it leaves the package) and
// the NCMEC CyberTipline report (XML of schema/cyber_tipline.xsd), with a
// priority assessment and the police force area of every child and reported
// user.
//
// The cases layer fills an Incident; Builder.Build turns it into a Package;
// a Submitter files the package. FileExport, the default, writes one
// directory per report for upload through the NCA portal; the ncmec
// subpackage files it through NCMEC's reporting API. Every Submitter is
// idempotent by report reference: a retry never files twice.
//
// See docs/law-enforcement-reports.md for what goes where and why.
package lawreport
