package ecsfake

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
)

type repository struct {
	name, arn, uri string
	createdAt      time.Time
	images         []*image // in push order
}

type image struct {
	digest    string
	tags      []string
	pushedAt  time.Time
	manifest  string
	mediaType string
	size      int64
}

func (r *repository) byDigest(digest string) *image {
	for _, img := range r.images {
		if img.digest == digest {
			return img
		}
	}
	return nil
}

func (r *repository) byTag(tag string) *image {
	for _, img := range r.images {
		if slices.Contains(img.tags, tag) {
			return img
		}
	}
	return nil
}

// Registry is the host of the fake's ECR registry,
// <account>.dkr.ecr.<region>.amazonaws.com.
func (f *Fake) Registry() string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com", f.opts.AccountID, f.opts.Region)
}

// AddImage seeds an image: repo (created when missing) gets digest, tagged
// tag (moved from any other image, as a push does). An empty digest is made
// up from repo and tag. It returns the digest.
func (f *Fake) AddImage(repo, tag, digest string) string {
	now := f.lock()
	defer f.mu.Unlock()
	if digest == "" {
		sum := sha256.Sum256([]byte(repo + ":" + tag))
		digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	manifest := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"digest":%q}}`, digest)
	f.putImage(f.createRepository(repo, now), digest, tag, manifest, "application/vnd.docker.distribution.manifest.v2+json", now)
	return digest
}

func (f *Fake) createRepository(name string, now time.Time) *repository {
	if r, ok := f.repos[name]; ok {
		return r
	}
	r := &repository{
		name:      name,
		arn:       f.arn("ecr", "repository/"+name),
		uri:       f.Registry() + "/" + name,
		createdAt: now,
	}
	f.repos[name] = r
	return r
}

func (f *Fake) putImage(r *repository, digest, tag, manifest, mediaType string, now time.Time) *image {
	img := r.byDigest(digest)
	if img == nil {
		img = &image{digest: digest, pushedAt: now, manifest: manifest, mediaType: mediaType, size: int64(len(manifest)) * 1000}
		r.images = append(r.images, img)
	}
	if tag != "" && !slices.Contains(img.tags, tag) {
		for _, other := range r.images {
			other.tags = slices.DeleteFunc(other.tags, func(t string) bool { return t == tag })
		}
		img.tags = append(img.tags, tag)
	}
	return img
}

// digestOf returns the digest image refers to, "" when the fake's ECR does
// not know it.
func (f *Fake) digestOf(ref string) string {
	name := ref
	if host, rest, ok := strings.Cut(name, "/"); ok && host == f.Registry() {
		name = rest
	}
	if _, digest, ok := strings.Cut(name, "@"); ok {
		return digest
	}
	r, ok := f.repos[stripTag(name)]
	if !ok || stripTag(name) == name {
		return ""
	}
	if img := r.byTag(name[len(stripTag(name))+1:]); img != nil {
		return img.digest
	}
	return ""
}

func (f *Fake) imageDetail(r *repository, img *image) ecrtypes.ImageDetail {
	d := ecrtypes.ImageDetail{
		RegistryId:             aws.String(f.opts.AccountID),
		RepositoryName:         aws.String(r.name),
		ImageDigest:            aws.String(img.digest),
		ImagePushedAt:          aws.Time(img.pushedAt),
		ImageSizeInBytes:       aws.Int64(img.size),
		ImageManifestMediaType: aws.String(img.mediaType),
		ArtifactMediaType:      aws.String("application/vnd.docker.container.image.v1+json"),
		ImageStatus:            ecrtypes.ImageStatusActive,
	}
	if len(img.tags) > 0 {
		d.ImageTags = slices.Clone(img.tags)
	}
	return d
}

func (f *Fake) repoArg(name string) (*repository, error) {
	if name == "" {
		return nil, errf("InvalidParameterException", "repositoryName must not be empty")
	}
	r, ok := f.repos[name]
	if !ok {
		return nil, errf("RepositoryNotFoundException", "The repository with name '%s' does not exist in the registry with id '%s'", name, f.opts.AccountID)
	}
	return r, nil
}

func opDescribeImages(f *Fake, r *request, _ time.Time) (smithy.Serializable, error) {
	var in ecr.DescribeImagesInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("repositoryName", aws.ToString(in.RepositoryName))
	var ids []string
	for _, id := range in.ImageIds {
		if id.ImageTag != nil {
			ids = append(ids, "tag:"+*id.ImageTag)
		}
		if id.ImageDigest != nil {
			ids = append(ids, *id.ImageDigest)
		}
	}
	r.param("imageIds", strings.Join(ids, " "))
	repo, err := f.repoArg(aws.ToString(in.RepositoryName))
	if err != nil {
		return nil, err
	}
	out := &ecr.DescribeImagesOutput{ImageDetails: []ecrtypes.ImageDetail{}}
	if len(in.ImageIds) == 0 {
		for _, img := range repo.images {
			out.ImageDetails = append(out.ImageDetails, f.imageDetail(repo, img))
		}
		page, next, err := paginate(out.ImageDetails, in.NextToken, in.MaxResults, 100)
		if err != nil {
			return nil, err
		}
		out.ImageDetails, out.NextToken = page, next
		return out, nil
	}
	var seen []*image
	for _, id := range in.ImageIds {
		var img *image
		switch {
		case id.ImageDigest != nil:
			img = repo.byDigest(*id.ImageDigest)
			if img != nil && id.ImageTag != nil && !slices.Contains(img.tags, *id.ImageTag) {
				img = nil
			}
		case id.ImageTag != nil:
			img = repo.byTag(*id.ImageTag)
		default:
			return nil, errf("InvalidParameterException", "Invalid parameter at 'imageIds' failed to satisfy constraint: 'imageDigest or imageTag must be specified'")
		}
		if img == nil {
			return nil, errf("ImageNotFoundException", "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist within the repository with name '%s' in the registry with id '%s'",
				orNull(id.ImageDigest), orNull(id.ImageTag), repo.name, f.opts.AccountID)
		}
		if !slices.Contains(seen, img) {
			seen = append(seen, img)
			out.ImageDetails = append(out.ImageDetails, f.imageDetail(repo, img))
		}
	}
	return out, nil
}

func orNull(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

func opCreateRepository(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecr.CreateRepositoryInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	name := aws.ToString(in.RepositoryName)
	r.param("repositoryName", name)
	if name == "" {
		return nil, errf("InvalidParameterException", "repositoryName must not be empty")
	}
	if _, ok := f.repos[name]; ok {
		return nil, errf("RepositoryAlreadyExistsException", "The repository with name '%s' already exists in the registry with id '%s'", name, f.opts.AccountID)
	}
	repo := f.createRepository(name, now)
	mut := in.ImageTagMutability
	if mut == "" {
		mut = ecrtypes.ImageTagMutabilityMutable
	}
	return &ecr.CreateRepositoryOutput{Repository: &ecrtypes.Repository{
		RepositoryArn:      aws.String(repo.arn),
		RepositoryName:     aws.String(repo.name),
		RepositoryUri:      aws.String(repo.uri),
		RegistryId:         aws.String(f.opts.AccountID),
		CreatedAt:          aws.Time(repo.createdAt),
		ImageTagMutability: mut,
	}}, nil
}

func opPutImage(f *Fake, r *request, now time.Time) (smithy.Serializable, error) {
	var in ecr.PutImageInput
	if err := r.decodeJSON(&in); err != nil {
		return nil, err
	}
	r.param("repositoryName", aws.ToString(in.RepositoryName))
	r.param("imageTag", aws.ToString(in.ImageTag))
	repo, err := f.repoArg(aws.ToString(in.RepositoryName))
	if err != nil {
		return nil, err
	}
	manifest := aws.ToString(in.ImageManifest)
	if manifest == "" {
		return nil, errf("InvalidParameterException", "imageManifest must not be empty")
	}
	sum := sha256.Sum256([]byte(manifest))
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if in.ImageDigest != nil && *in.ImageDigest != digest {
		return nil, errf("ImageDigestDoesNotMatchException", "Invalid parameter at 'imageDigest' failed to satisfy constraint: 'digest does not match manifest'")
	}
	tag := aws.ToString(in.ImageTag)
	if img := repo.byDigest(digest); img != nil && (tag == "" || slices.Contains(img.tags, tag)) {
		return nil, errf("ImageAlreadyExistsException", "Image with digest '%s' and tag '%s' already exists in the repository with name '%s' in registry with id '%s'", digest, tag, repo.name, f.opts.AccountID)
	}
	mediaType := aws.ToString(in.ImageManifestMediaType)
	if mediaType == "" {
		mediaType = "application/vnd.docker.distribution.manifest.v2+json"
	}
	f.putImage(repo, digest, tag, manifest, mediaType, now)
	return &ecr.PutImageOutput{Image: &ecrtypes.Image{
		RegistryId:             aws.String(f.opts.AccountID),
		RepositoryName:         aws.String(repo.name),
		ImageId:                &ecrtypes.ImageIdentifier{ImageDigest: aws.String(digest), ImageTag: in.ImageTag},
		ImageManifest:          aws.String(manifest),
		ImageManifestMediaType: aws.String(mediaType),
	}}, nil
}
