package store

import safeguard "github.com/safeguard-dev/safeguard"

// Event queues. An outbox event that some part of the platform must handle
// exactly once is also queued, in the transaction that appends it, for each
// consumer that handles its type. A consumer claims queued events for a
// while (ClaimEvents), handles them, and takes each out of its queue in the
// transaction that records what it did (DoneEvent): several servers share a
// queue without handling an event twice, and an event whose claimant died is
// claimed again once the claim ends. Nothing waits for the order in which
// concurrent transactions commit, so appending an event takes no lock that
// other appenders wait for.
const (
	// QueueCases is the cases service's queue: detections to open or
	// extend a case with.
	QueueCases = "cases"
	// QueueLiveRelay is the live relay's queue: age changes and ended
	// encryption, which a process without live streams (the command line)
	// leaves for a server to tell the people concerned.
	QueueLiveRelay = "live-relay"
)

// Queues returns the consumers whose queue AppendEvent adds an event of
// type typ to; none for most types.
func Queues(typ string) []string {
	switch typ {
	case safeguard.EventDetection:
		return []string{QueueCases}
	case safeguard.EventAgeChanged, safeguard.EventE2EEEnded:
		return []string{QueueLiveRelay}
	}
	return nil
}
