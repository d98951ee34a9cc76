package exports

import (
	"os"
	"path/filepath"
)

// ArchivePath is where an export goes once delivered.
func ArchivePath(dir, name string) string {
	return filepath.Join(dir, "archive", name)
}

// Archive copies the export into the archive and removes the original.
func Archive(dir, name string) error {
	src := filepath.Join(dir, name)
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.Remove(src); err != nil {
		return err
	}
	os.WriteFile(ArchivePath(dir, name), data, 0o644)
	return nil
}
