# Regular AZs only. Local and Wavelength Zones are listed as available once
# the account has opted in to them, and they offer only part of the services
# the stack places in every AZ's subnets (RDS, ElastiCache, NAT gateways).
data "aws_availability_zones" "available" {
  state = "available"

  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

locals {
  azs       = slice(data.aws_availability_zones.available.names, 0, var.azs)
  nat_count = var.nat == "single" ? 1 : var.azs

  # Four extra bits leave 16 blocks: public 0-3, private 4-7, database 8-11.
  # A /24 VPC still yields /28 subnets, the smallest AWS allows.
  public_cidrs   = [for i in range(var.azs) : cidrsubnet(var.vpc_cidr, 4, i)]
  private_cidrs  = [for i in range(var.azs) : cidrsubnet(var.vpc_cidr, 4, 4 + i)]
  database_cidrs = [for i in range(var.azs) : cidrsubnet(var.vpc_cidr, 4, 8 + i)]
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = { Name = "${var.name}-inventory" }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-inventory" }
}

resource "aws_subnet" "public" {
  count = var.azs

  vpc_id                  = aws_vpc.this.id
  cidr_block              = local.public_cidrs[count.index]
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = false

  tags = { Name = "${var.name}-inventory-public-${local.azs[count.index]}", Tier = "public" }
}

resource "aws_subnet" "private" {
  count = var.azs

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.private_cidrs[count.index]
  availability_zone = local.azs[count.index]

  tags = { Name = "${var.name}-inventory-private-${local.azs[count.index]}", Tier = "private" }
}

resource "aws_subnet" "database" {
  count = var.azs

  vpc_id            = aws_vpc.this.id
  cidr_block        = local.database_cidrs[count.index]
  availability_zone = local.azs[count.index]

  tags = { Name = "${var.name}-inventory-database-${local.azs[count.index]}", Tier = "database" }
}

resource "aws_eip" "nat" {
  count = local.nat_count

  domain = "vpc"

  tags = { Name = "${var.name}-inventory-nat-${count.index}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_nat_gateway" "this" {
  count = local.nat_count

  allocation_id = aws_eip.nat[count.index].id
  subnet_id     = aws_subnet.public[count.index].id

  tags = { Name = "${var.name}-inventory-nat-${count.index}" }

  depends_on = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-inventory-public" }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = var.azs

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# One private route table per AZ, so that per_az NAT keeps traffic in its AZ
# and switching nat between single and per_az only changes routes.
resource "aws_route_table" "private" {
  count = var.azs

  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-inventory-private-${local.azs[count.index]}" }
}

resource "aws_route" "private_nat" {
  count = var.azs

  route_table_id         = aws_route_table.private[count.index].id
  destination_cidr_block = "0.0.0.0/0"
  nat_gateway_id         = aws_nat_gateway.this[min(count.index, local.nat_count - 1)].id
}

resource "aws_route_table_association" "private" {
  count = var.azs

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private[count.index].id
}

# Database subnets have no route out of the VPC.
resource "aws_route_table" "database" {
  vpc_id = aws_vpc.this.id

  tags = { Name = "${var.name}-inventory-database" }
}

resource "aws_route_table_association" "database" {
  count = var.azs

  subnet_id      = aws_subnet.database[count.index].id
  route_table_id = aws_route_table.database.id
}
