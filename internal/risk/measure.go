package risk

import (
	"fmt"
	"slices"
)

// Metrics are a rule set's figures on a labelled corpus. A conversation
// labelled risk should alert; safe and support conversations should not (a
// support conversation, a young person telling a friend what happened,
// deserves support, not an alert on the friend). Every safe and support
// conversation in the corpus is a hard negative: built so that a keyword
// matcher would flag it.
type Metrics struct {
	Conversations int `json:"conversations"`
	Risk          int `json:"risk"`
	HardNegatives int `json:"hard_negatives"`

	TruePositives  int `json:"true_positives"`
	FalsePositives int `json:"false_positives"`
	FalseNegatives int `json:"false_negatives"`

	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F05       float64 `json:"f0_5"` // F-beta with beta 0.5: precision weighs more, as in PAN-2012

	FalseAlertRate float64 `json:"false_alert_rate"` // share of hard negatives that alerted
	// MedianDelay is the median, over detected risk conversations, of
	// alert_index minus first_risk_index, in messages (negative: the alert
	// came before the message a reader would flag, from account facts).
	MedianDelay float64 `json:"median_delay"`
	MaxDelay    int     `json:"max_delay"`

	Missed      []string `json:"missed,omitempty"`       // risk conversations with no alert
	FalseAlerts []string `json:"false_alerts,omitempty"` // hard negatives that alerted
}

// Measure computes Metrics from labelled conversations and their replay
// results, matched by id.
func Measure(convs []ReplayConversation, results []ReplayResult) (Metrics, error) {
	byID := make(map[string]ReplayResult, len(results))
	for _, r := range results {
		byID[r.ID] = r
	}
	var m Metrics
	var delays []int
	for _, c := range convs {
		r, ok := byID[c.ID]
		if !ok {
			return m, fmt.Errorf("no result for conversation %q", c.ID)
		}
		m.Conversations++
		switch c.Label {
		case "risk":
			m.Risk++
			if !r.Alert {
				m.FalseNegatives++
				m.Missed = append(m.Missed, c.ID)
				continue
			}
			m.TruePositives++
			if c.FirstRiskIndex != nil && r.AlertIndex != nil {
				delays = append(delays, *r.AlertIndex-*c.FirstRiskIndex)
			}
		case "safe", "support":
			m.HardNegatives++
			if r.Alert {
				m.FalsePositives++
				m.FalseAlerts = append(m.FalseAlerts, c.ID)
			}
		default:
			return m, fmt.Errorf("conversation %q: label %q: want risk, safe or support", c.ID, c.Label)
		}
	}
	if d := m.TruePositives + m.FalsePositives; d > 0 {
		m.Precision = float64(m.TruePositives) / float64(d)
	}
	if m.Risk > 0 {
		m.Recall = float64(m.TruePositives) / float64(m.Risk)
	}
	const b2 = 0.25
	if d := b2*m.Precision + m.Recall; d > 0 {
		m.F05 = (1 + b2) * m.Precision * m.Recall / d
	}
	if m.HardNegatives > 0 {
		m.FalseAlertRate = float64(m.FalsePositives) / float64(m.HardNegatives)
	}
	if len(delays) > 0 {
		slices.Sort(delays)
		n := len(delays)
		if n%2 == 1 {
			m.MedianDelay = float64(delays[n/2])
		} else {
			m.MedianDelay = float64(delays[n/2-1]+delays[n/2]) / 2
		}
		m.MaxDelay = delays[n-1]
	}
	return m, nil
}
