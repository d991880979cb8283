package deploy

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"pgregory.net/rapid"
)

// fill sets every exported field of v, recursively, to values drawn by t:
// a random task definition of the SDK's own types, so that a field the SDK
// adds is exercised without this test changing.
func fill(t *rapid.T, v reflect.Value, path string, depth int) {
	if depth > 6 {
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if rapid.IntRange(0, 4).Draw(t, path+"?") == 0 {
			return // nil now and then
		}
		p := reflect.New(v.Type().Elem())
		fill(t, p.Elem(), path, depth+1)
		v.Set(p)
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fill(t, v.Field(i), path+"."+f.Name, depth+1)
			}
		}
	case reflect.Slice:
		n := rapid.IntRange(0, 2).Draw(t, path+"#")
		s := reflect.MakeSlice(v.Type(), n, n)
		for i := range n {
			fill(t, s.Index(i), path+"[]", depth+1)
		}
		v.Set(s)
	case reflect.Map:
		n := rapid.IntRange(0, 2).Draw(t, path+"#")
		m := reflect.MakeMap(v.Type())
		for range n {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(t, k, path+"{k}", depth+1)
			fill(t, e, path+"{v}", depth+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.String:
		v.SetString(rapid.StringMatching(`[a-z0-9:/-]{0,12}`).Draw(t, path))
	case reflect.Bool:
		v.SetBool(rapid.Bool().Draw(t, path))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(rapid.IntRange(-1000, 100000).Draw(t, path)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(rapid.Float64Range(0, 1000).Draw(t, path))
	}
}

func TestRegisterInputKeepsEveryFieldButTheImage(t *testing.T) {
	inputType := reflect.TypeOf(ecs.RegisterTaskDefinitionInput{})
	described := reflect.TypeOf(ecstypes.TaskDefinition{})

	t.Run("every field of a described task definition is taken by RegisterTaskDefinition or listed as dropped", func(t *testing.T) {
		for i := range described.NumField() {
			f := described.Field(i)
			if !f.IsExported() {
				continue
			}
			_, taken := inputType.FieldByName(f.Name)
			if !taken && !slices.Contains(DroppedTaskDefinitionFields, f.Name) {
				t.Errorf("TaskDefinition.%s is not in RegisterTaskDefinitionInput: list it in DroppedTaskDefinitionFields", f.Name)
			}
		}
	})

	rapid.Check(t, func(t *rapid.T) {
		var td ecstypes.TaskDefinition
		fill(t, reflect.ValueOf(&td).Elem(), "td", 0)
		if len(td.ContainerDefinitions) == 0 {
			td.ContainerDefinitions = []ecstypes.ContainerDefinition{{}}
		}
		i := rapid.IntRange(0, len(td.ContainerDefinitions)-1).Draw(t, "container")
		container := rapid.StringMatching(`[a-z]{1,8}`).Draw(t, "name")
		td.ContainerDefinitions[i].Name = aws.String(container)
		if j := slices.IndexFunc(td.ContainerDefinitions, func(c ecstypes.ContainerDefinition) bool { return aws.ToString(c.Name) == container }); j < i {
			i = j // the first container of that name is the one set
		}
		oldImage := td.ContainerDefinitions[i].Image
		var tags []ecstypes.Tag
		for range rapid.IntRange(0, 4).Draw(t, "tags") {
			key := rapid.SampledFrom([]string{"aws:cloudformation:stack-name", "team", "env", "aws:ecs:clusterName"}).Draw(t, "tag")
			tags = append(tags, ecstypes.Tag{Key: aws.String(key), Value: aws.String("v")})
		}
		image := "123456789012.dkr.ecr.us-east-1.amazonaws.com/inventory-management/ui@sha256:" + strings.Repeat("a", 64)

		in, err := registerInput(&td, tags, container, image)
		if err != nil {
			t.Fatal(err)
		}
		if td.ContainerDefinitions[i].Image != oldImage {
			t.Fatal("the described task definition was modified")
		}
		iv, tv := reflect.ValueOf(in).Elem(), reflect.ValueOf(td)
		for k := range inputType.NumField() {
			f := inputType.Field(k)
			if !f.IsExported() {
				continue
			}
			got := iv.Field(k).Interface()
			switch f.Name {
			case "Tags":
				var want []ecstypes.Tag
				for _, tag := range tags {
					if !strings.HasPrefix(aws.ToString(tag.Key), "aws:") {
						want = append(want, tag)
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("tags %v, want %v", got, want)
				}
			case "ContainerDefinitions":
				want := slices.Clone(td.ContainerDefinitions)
				want[i].Image = aws.String(image)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("containers differ beyond the image of %s", container)
				}
			default:
				if slices.Contains(DroppedTaskDefinitionFields, f.Name) {
					if !iv.Field(k).IsZero() {
						t.Fatalf("%s is dropped but set", f.Name)
					}
					continue
				}
				if want := tv.FieldByName(f.Name).Interface(); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s = %#v, want %#v", f.Name, got, want)
				}
			}
		}
	})
}

func TestRegisterInputNamesTheContainersOfATaskDefinitionWithoutTheOne(t *testing.T) {
	td := &ecstypes.TaskDefinition{
		TaskDefinitionArn:    aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/staging-inventory-ui:4"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: aws.String("nginx")}, {Name: aws.String("envoy")}},
	}
	_, err := registerInput(td, nil, "ui", "x")
	if err == nil || !strings.Contains(err.Error(), `task definition arn:aws:ecs:us-east-1:123456789012:task-definition/staging-inventory-ui:4 has no container "ui" (it has nginx, envoy)`) {
		t.Errorf("err = %v", err)
	}
}

func TestClientTokensFitECS(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]string{"migrate", "downgrade", "seed"}).Draw(t, "kind")
		tok := clientToken(kind, rapid.String().Draw(t, "env"), rapid.String().Draw(t, "id"), rapid.String().Draw(t, "name"))
		if len(tok) > 64 {
			t.Fatalf("token %q is %d characters, ECS takes 64", tok, len(tok))
		}
		for _, c := range []byte(tok) {
			if c < 33 || c > 126 {
				t.Fatalf("token %q has %q, ECS takes ASCII 33–126", tok, c)
			}
		}
	})
	if clientToken("seed", "staging", "c-1", "roles") == clientToken("seed", "staging", "c-1", "inventory") {
		t.Error("two steps of one seed share a token")
	}
}
