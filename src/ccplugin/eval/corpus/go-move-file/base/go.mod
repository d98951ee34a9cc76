module example.com/exports

go 1.22
