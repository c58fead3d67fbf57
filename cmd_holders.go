package main

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/tally-app/tally/holders"
)

// runHolders is `tally holders [--json]`: every camera and microphone node
// and every audio source, with the processes and streams holding it.
func runHolders(args []string) error {
	fs := flag.NewFlagSet("holders", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	timeout := fs.Duration("timeout", 5*time.Second, "give up scanning after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	// A scan that reaches no audio server still reports the device nodes;
	// what failed is in the snapshot's errors, which Print shows.
	snap, _ := (&holders.Scanner{Paths: holders.DefaultPaths(), Pulse: true}).Holders(ctx)
	return holders.Print(os.Stdout, snap, *asJSON)
}
