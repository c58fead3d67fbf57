//go:build !amd64

package blit

// haveSIMD is false: no assembly for this architecture.
var haveSIMD = false

func yuvPairsSIMD(d, y, cb, cr []byte, rgba bool, k *[16]int32) int { return 0 }

func rgbaRowSIMD(d, s []byte, swap bool) int { return 0 }
