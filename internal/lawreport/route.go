package lawreport

import (
	"github.com/safeguard-dev/safeguard/internal/police"
)

// Route finds the police force area of u: the force named by
// u.PoliceForce.Code if set (its name taken from the ONS data), otherwise the
// force that polices u.LocalAuthority. ok is false when neither leads to a
// known force; the report is still made, without a force for that user.
func Route(u *User) (f Force, ok bool) {
	if u.PoliceForce.Code != "" {
		pf, ok := police.ByCode(u.PoliceForce.Code)
		if !ok {
			return Force{}, false
		}
		return Force{Code: pf.Code, Name: pf.Name}, true
	}
	if u.LocalAuthority == "" {
		return Force{}, false
	}
	la, ok := police.LookupLocalAuthority(u.LocalAuthority)
	if !ok {
		return Force{}, false
	}
	pf, ok := police.ByCode(la.ForceCode)
	if !ok {
		return Force{}, false
	}
	return Force{Code: pf.Code, Name: pf.Name}, true
}

// localAuthorityName returns the name of u's local authority, or "".
func localAuthorityName(u *User) string {
	if la, ok := police.LookupLocalAuthority(u.LocalAuthority); ok && la.Name != la.Code {
		return la.Name
	}
	return ""
}

// areaName returns the ONS name of the area a force polices, e.g.
// "Bedfordshire", or the force's name when the data has none.
func areaName(f Force) string {
	if pf, ok := police.ByCode(f.Code); ok && pf.Area != "" {
		return pf.Area
	}
	return f.Name
}

// country returns the ISO 3166 code of the country a force polices: every
// force in the data is in the United Kingdom.
func country(f Force) string {
	if f.Code == "" {
		return ""
	}
	return "GB"
}
