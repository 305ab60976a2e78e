module github.com/safeguard-dev/safeguard

go 1.26
