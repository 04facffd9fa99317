module linkname-bot/golayouts

go 1.21
