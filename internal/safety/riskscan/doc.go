// Package riskscan is the risk scanner: it scores every message the server
// can see in a conversation that includes a minor with the grooming and
// sextortion rules of internal/risk, keeps the conversation's risk state in
// the store, records a risk_rule detection when an enforced rule first fires,
// and shows the young people in the conversation a support notice.
package riskscan
