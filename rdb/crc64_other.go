//go:build !amd64

package rdb

func crc64Fast(crc uint64, p []byte) (uint64, []byte) { return crc, p }

func crcFolding() bool { return false }
