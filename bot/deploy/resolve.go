package deploy

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"

	"github.com/gitops-bot/gitops/bot/release"
)

// ResolveRequest names the images to look up, by service (a release's
// Images).
type ResolveRequest struct {
	Images map[string]release.Image
}

// Resolve looks every image up in ECR by its tag and returns them pinned by
// the digest the tag has now. When some are missing it returns a
// *MissingImagesError listing all of them (and no result); another error of
// ECR ends it at once.
//
// ECR: DescribeImages, one call per image (a call naming several fails as a
// whole on the first missing one).
func (e *Engine) Resolve(ctx context.Context, req ResolveRequest) (*ResolveResult, error) {
	if e.cfg.ECR == nil {
		return nil, errors.New("resolve images: no ECR client configured")
	}
	res := &ResolveResult{Images: map[string]release.Image{}}
	var missing MissingImagesError
	for _, name := range slices.Sorted(maps.Keys(req.Images)) {
		img := req.Images[name]
		digest, reason, err := e.lookupImage(ctx, release.Image{Repository: img.Repository, Tag: img.Tag})
		if err != nil {
			return nil, fmt.Errorf("resolve image of %s: %w", name, err)
		}
		if reason != "" {
			missing.Missing = append(missing.Missing, MissingImage{Service: name, Image: img, Reason: reason})
			continue
		}
		if img.Digest != "" && img.Digest != digest {
			res.Repinned = append(res.Repinned, name)
		}
		img.Digest = digest
		res.Images[name] = img
	}
	if len(missing.Missing) > 0 {
		return nil, &missing
	}
	return res, nil
}

// lookupImage finds img in ECR, by digest when it is pinned and by tag
// otherwise, and returns its digest; reason is ECR's error code when ECR
// does not have it.
//
// ECR: DescribeImages
func (e *Engine) lookupImage(ctx context.Context, img release.Image) (digest, reason string, err error) {
	id := ecrtypes.ImageIdentifier{ImageTag: aws.String(img.Tag)}
	if img.Digest != "" {
		id = ecrtypes.ImageIdentifier{ImageDigest: aws.String(img.Digest)}
	}
	out, err := e.cfg.ECR.DescribeImages(ctx, &ecr.DescribeImagesInput{
		RepositoryName: aws.String(repositoryName(img.Repository)),
		ImageIds:       []ecrtypes.ImageIdentifier{id},
	})
	if code := apiErrorCode(err); code == "ImageNotFoundException" || code == "RepositoryNotFoundException" {
		return "", code, nil
	}
	if err != nil {
		return "", "", fmt.Errorf("describe image %s: %w", img, err)
	}
	if len(out.ImageDetails) == 0 || aws.ToString(out.ImageDetails[0].ImageDigest) == "" {
		return "", "ImageNotFoundException", nil
	}
	return aws.ToString(out.ImageDetails[0].ImageDigest), "", nil
}

// repositoryName is an ECR repository name without a registry host.
func repositoryName(repo string) string {
	if host, rest, ok := strings.Cut(repo, "/"); ok && (strings.ContainsAny(host, ".:") || host == "localhost") {
		return rest
	}
	return repo
}

// apiErrorCode is the AWS error code of err, "" when it is none.
func apiErrorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
