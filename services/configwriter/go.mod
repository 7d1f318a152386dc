module traderadmin/configwriter

go 1.26.8
