// Package urls is the URL-list scanner: it parses URL lists in the IWF
// shape (ParseList), normalises links and list entries the same way
// (Normalize), imports lists into the store (Import), and holds a message
// whose links are on a list, recording a url_match detection for each.
package urls
