package main

import (
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitops-bot/gitops/bot/server"
)

func newSetupCmd(_ *globalOptions) *cobra.Command {
	var cfg server.SetupConfig
	var listen, dataDir string
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Create the GitHub App from its manifest (permissions and events set for you)",
		Long: `setup serves GitHub's App manifest flow at /setup: open it in a browser, press the
button, and GitHub creates an App with exactly the permissions and events gitops
needs, then sends you back here; the App's private key, webhook secret and id are
written to <data-dir>/app/ (mode 0600) and the command to start gitops serve is
shown. --public-url must be where GitHub can reach this server.`,
		Example: `  gitops setup --public-url https://gitops.example.com --listen :8080
  gitops setup --github-url https://ghe.example.com/api/v3/ --public-url https://gitops.internal`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.PublicURL == "" {
				cfg.PublicURL = "http://" + listen
			}
			cfg.Dir = filepath.Join(dataDir, "app")
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", listen, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "open %s/setup in a browser (Ctrl-C when done)\n", cfg.PublicURL)
			srv := &http.Server{Handler: server.Setup(cfg), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				srv.Close()
			}()
			if err := srv.Serve(ln); err != http.ErrServerClosed {
				return err
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.GitHubURL, "github-url", envOr("GITOPS_GITHUB_URL", "https://api.github.com/"), "GitHub REST API base [$GITOPS_GITHUB_URL]")
	f.StringVar(&cfg.PublicURL, "public-url", envOr("GITOPS_PUBLIC_URL", ""), "where GitHub reaches this server (default http://<listen>) [$GITOPS_PUBLIC_URL]")
	f.StringVar(&cfg.Name, "name", "gitops", "the App's name on GitHub")
	f.StringVar(&listen, "listen", envOr("GITOPS_LISTEN", "127.0.0.1:8080"), "HTTP address [$GITOPS_LISTEN]")
	f.StringVar(&dataDir, "data-dir", envOr("GITOPS_DATA_DIR", "gitops-data"), "where the App's credentials are written (<data-dir>/app) [$GITOPS_DATA_DIR]")
	return cmd
}
