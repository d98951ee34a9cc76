package settings

// Settings of the service.
type Settings struct {
	Port int    `json:"port"`
	Host string `json:"host"`
}

// Default settings.
func Default() Settings {
	return Settings{Port: 8080, Host: "localhost"}
}
