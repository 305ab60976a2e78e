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

	// ByRelationship is recall on risk conversations by whether every
	// member was already a contact of the others (the members' connected
	// flag): "contacts" or "strangers". ByScenario is recall by scenario.
	ByRelationship map[string]Recall `json:"by_relationship,omitempty"`
	ByScenario     map[string]Recall `json:"by_scenario,omitempty"`

	Missed      []string `json:"missed,omitempty"`       // risk conversations with no alert
	FalseAlerts []string `json:"false_alerts,omitempty"` // hard negatives that alerted
}

// Recall is the share of one group of risk conversations that alerted.
type Recall struct {
	Risk     int     `json:"risk"`
	Detected int     `json:"detected"`
	Recall   float64 `json:"recall"`
}

func (r *Recall) add(detected bool) {
	r.Risk++
	if detected {
		r.Detected++
	}
	r.Recall = float64(r.Detected) / float64(r.Risk)
}

// relationship is "contacts" when every member of c was already a contact
// of the others, else "strangers".
func relationship(c *ReplayConversation) string {
	for _, m := range c.Members {
		if !m.Connected {
			return "strangers"
		}
	}
	return "contacts"
}

func addRecall(m map[string]Recall, key string, detected bool) map[string]Recall {
	if m == nil {
		m = map[string]Recall{}
	}
	r := m[key]
	r.add(detected)
	m[key] = r
	return m
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
			m.ByRelationship = addRecall(m.ByRelationship, relationship(&c), r.Alert)
			if c.Scenario != "" {
				m.ByScenario = addRecall(m.ByScenario, c.Scenario, r.Alert)
			}
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
