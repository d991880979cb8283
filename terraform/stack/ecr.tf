# One repository per service in the environment's region. The app repository's
# CI pushes `latest` and the commit SHA on every main push (dev) and release
# tags vX.Y.Z; the release engine pins images by digest, so tags may move
# (`latest` must, and initial_image_tag defaults to it).
resource "aws_ecr_repository" "this" {
  for_each = var.services

  name                 = "inventory-management/${each.key}"
  image_tag_mutability = "MUTABLE"
  # Destroying an environment (cost management) must not stop at images.
  force_delete = true

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

# ECR evaluates rules by priority and an image matched by a rule's tag
# selection is never expired by a lower-priority one: release images and
# `latest` are claimed first, so the last rule (tagStatus any, which ECR
# requires to come last) only counts commit-SHA and untagged images.
resource "aws_ecr_lifecycle_policy" "this" {
  for_each = aws_ecr_repository.this

  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep the 30 most recent release images (rollback targets)"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = ["v"]
          countType     = "imageCountMoreThan"
          countNumber   = 30
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the image tagged latest (one image at most carries it)"
        selection = {
          tagStatus      = "tagged"
          tagPatternList = ["latest"]
          countType      = "imageCountMoreThan"
          countNumber    = 1
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 3
        description  = "Keep the 20 most recent commit-SHA and untagged images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = 20
        }
        action = { type = "expire" }
      },
    ]
  })
}
