package exports

import "path/filepath"

// ArchivePath is where an export goes once delivered.
func ArchivePath(dir, name string) string {
	return filepath.Join(dir, "archive", name)
}
