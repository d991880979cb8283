package localaws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Backend is the terraform state backend: an S3 bucket and a DynamoDB lock
// table (hash key LockID, a string), both in Region.
type Backend struct {
	Bucket, Table, Region string
}

// Config is an AWS SDK configuration for the emulator in region, with static
// test credentials, so that nothing reads the environment or shared files.
func (e *Emulator) Config(region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(e.endpoint),
	}
}

// Bootstrap creates the state bucket and the lock table when they do not
// exist yet. It is idempotent.
func (e *Emulator) Bootstrap(ctx context.Context, b Backend) error {
	cfg := e.Config(b.Region)
	if err := createBucket(ctx, s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }), b); err != nil {
		return err
	}
	return createLockTable(ctx, dynamodb.NewFromConfig(cfg), b)
}

func createBucket(ctx context.Context, client *s3.Client, b Backend) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(b.Bucket)}
	// us-east-1 is the one region that rejects its own location constraint.
	if b.Region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(b.Region),
		}
	}
	_, err := client.CreateBucket(ctx, in)
	var owned *s3types.BucketAlreadyOwnedByYou
	var exists *s3types.BucketAlreadyExists
	if err == nil || errors.As(err, &owned) || errors.As(err, &exists) {
		return nil
	}
	return fmt.Errorf("create state bucket %s in %s: %w", b.Bucket, b.Region, err)
}

func createLockTable(ctx context.Context, client *dynamodb.Client, b Backend) error {
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(b.Table),
		BillingMode: ddbtypes.BillingModePayPerRequest,
		AttributeDefinitions: []ddbtypes.AttributeDefinition{
			{AttributeName: aws.String("LockID"), AttributeType: ddbtypes.ScalarAttributeTypeS},
		},
		KeySchema: []ddbtypes.KeySchemaElement{
			{AttributeName: aws.String("LockID"), KeyType: ddbtypes.KeyTypeHash},
		},
	})
	var inUse *ddbtypes.ResourceInUseException
	if err == nil || errors.As(err, &inUse) {
		return nil
	}
	return fmt.Errorf("create lock table %s in %s: %w", b.Table, b.Region, err)
}
