package cache

import "sync"

// Cache memoises an expensive lookup.
type Cache struct {
	mu     sync.Mutex
	values map[string]string
	lookup func(string) string
}

// New returns an empty cache over lookup.
func New(lookup func(string) string) *Cache {
	return &Cache{values: map[string]string{}, lookup: lookup}
}

// Get returns the cached value of key, computing it once.
func (c *Cache) Get(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.values[key]; ok {
		return v
	}
	v := c.lookup(key)
	c.values[key] = v
	return v
}

// Warm looks up every key in parallel.
func (c *Cache) Warm(keys []string) {
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Add(1)
		go func(k string) {
			defer wg.Done()
			c.values[k] = c.lookup(k)
		}(k)
	}
	wg.Wait()
}
