module traderadmin/configwriter

go 1.25.0

require golang.org/x/sys v0.13.0
