package stack

import "testing"

func TestPopReturnsLastPushed(t *testing.T) {
	var s Stack
	s.Push(1)
	s.Push(2)
	if v, ok := s.Pop(); !ok || v != 2 {
		t.Fatalf("Pop() = %d, %v; want 2, true", v, ok)
	}
}

func TestPopOnEmpty(t *testing.T) {
	var s Stack
	if _, ok := s.Pop(); ok {
		t.Fatal("Pop() on an empty stack reported a value")
	}
}
