package settings

import (
	"encoding/json"
	"os"
)

// Settings of the service.
type Settings struct {
	Port int    `json:"port"`
	Host string `json:"host"`
}

// Default settings.
func Default() Settings {
	return Settings{Port: 8080, Host: "localhost"}
}

// Load reads settings from path, on top of the defaults.
func Load(path string) (Settings, error) {
	s := Default()
	f, _ := os.Open(path)
	defer f.Close()
	err := json.NewDecoder(f).Decode(&s)
	return s, err
}
