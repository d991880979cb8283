package ecsfake

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"
)

// The wire protocols of the clients the fake serves, as the SDK versions in
// go.mod send them (see each client's api_client.go, options.Protocol):
//
//	ECS, ECR, CloudWatch Logs  awsJson1_1: POST /, X-Amz-Target: <Service>.<Op>, JSON body
//	ELBv2                      awsQuery: POST /, form body Action=<Op>&Version=2015-12-01, XML response
//	CloudWatch                 smithy rpcv2Cbor: POST /service/GraniteServiceVersion20100801/operation/<Op>,
//	                           CBOR bodies, awsQueryCompatible (error code also in X-Amzn-Query-Error)
type protocol int

const (
	awsJSON protocol = iota
	awsQuery
	rpcv2CBOR
)

// Service names as the fake reports them in Call.Service (the SigV4 names).
const (
	svcECS        = "ecs"
	svcECR        = "ecr"
	svcLogs       = "logs"
	svcELB        = "elasticloadbalancing"
	svcCloudWatch = "monitoring"
)

const elbNamespace = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

// request is one decoded API call.
type request struct {
	proto   protocol
	service string
	op      string
	body    []byte     // awsJson
	form    url.Values // awsQuery
	cbor    cbor.Map   // rpcv2Cbor
	call    *Call
}

// param records a key parameter of the call for Calls.
func (r *request) param(key, value string) {
	if value != "" {
		r.call.Params[key] = value
	}
}

// decodeJSON decodes an awsJson body into v. The SDK's input types have no
// JSON tags, but encoding/json matches member names case-insensitively
// (taskDefinition → TaskDefinition), which is all the inputs the fake reads
// need; a member it cannot decode is a SerializationException, as AWS answers.
func (r *request) decodeJSON(v any) error {
	body := r.body
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errf("SerializationException", "decode %s request: %v", r.op, err)
	}
	return nil
}

type handler func(f *Fake, r *request, now time.Time) (smithy.Serializable, error)

// Handler serves the AWS APIs. One endpoint serves every service: requests
// are told apart by X-Amz-Target, the Smithy-Protocol header, or the form's
// Action and Version.
func (f *Fake) Handler() http.Handler { return http.HandlerFunc(f.serveAPI) }

func (f *Fake) serveAPI(w http.ResponseWriter, hr *http.Request) {
	body, err := io.ReadAll(io.LimitReader(hr.Body, 16<<20))
	if err != nil {
		http.Error(w, "read request: "+err.Error(), http.StatusBadRequest)
		return
	}
	req, err := parseRequest(hr, body)
	if err != nil {
		writeError(w, req, err)
		return
	}
	now := f.lock()
	req.call = &Call{Service: req.service, Operation: req.op, Params: map[string]string{}, At: now}
	var out smithy.Serializable
	if h := f.handlerFor(req.service, req.op); h == nil {
		err = unknownOperation(req)
	} else if err = f.injectedError(req); err == nil {
		out, err = h(f, req, now)
	}
	var apiErr *Err
	if errors.As(err, &apiErr) {
		req.call.Err = apiErr.Code
	} else if err != nil {
		req.call.Err = "InternalFailure"
	}
	f.calls = append(f.calls, *req.call)
	f.mu.Unlock()

	if err != nil {
		writeError(w, req, err)
		return
	}
	writeOutput(w, req, out)
}

func (f *Fake) handlerFor(service, op string) handler {
	if f.opts.NoServiceDeployments && service == svcECS {
		switch op {
		case "ListServiceDeployments", "DescribeServiceDeployments", "DescribeServiceRevisions":
			return nil
		}
	}
	return f.ops[service+":"+op]
}

func parseRequest(hr *http.Request, body []byte) (*request, error) {
	if target := hr.Header.Get("X-Amz-Target"); target != "" {
		r := &request{proto: awsJSON, body: body}
		prefix, op, _ := strings.Cut(target, ".")
		r.op = op
		switch prefix {
		case "AmazonEC2ContainerServiceV20141113":
			r.service = svcECS
		case "AmazonEC2ContainerRegistry_V20150921":
			r.service = svcECR
		case "Logs_20140328":
			r.service = svcLogs
		default:
			r.service = prefix
		}
		return r, nil
	}
	if hr.Header.Get("Smithy-Protocol") == "rpc-v2-cbor" {
		r := &request{proto: rpcv2CBOR, cbor: cbor.Map{}}
		// /service/{ServiceName}/operation/{OperationName}
		parts := strings.Split(strings.Trim(hr.URL.Path, "/"), "/")
		if len(parts) != 4 || parts[0] != "service" || parts[2] != "operation" {
			return r, &Err{Code: "UnknownOperationException", Message: "no operation at " + hr.URL.Path, Status: http.StatusNotFound}
		}
		r.op = parts[3]
		r.service = parts[1]
		if parts[1] == "GraniteServiceVersion20100801" {
			r.service = svcCloudWatch
		}
		if len(body) > 0 {
			v, err := cbor.Decode(body)
			if err != nil {
				return r, errf("SerializationException", "decode %s request: %v", r.op, err)
			}
			m, ok := v.(cbor.Map)
			if !ok {
				return r, errf("SerializationException", "decode %s request: body is not a CBOR map", r.op)
			}
			r.cbor = m
		}
		return r, nil
	}
	if ct, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type")); ct == "application/x-www-form-urlencoded" {
		r := &request{proto: awsQuery}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return r, errf("MalformedQueryString", "%v", err)
		}
		r.form = form
		r.op = form.Get("Action")
		switch form.Get("Version") {
		case "2015-12-01":
			r.service = svcELB
		default:
			r.service = "query/" + form.Get("Version")
		}
		return r, nil
	}
	return &request{proto: awsJSON}, &Err{Code: "UnknownOperationException", Message: "request is neither awsJson, awsQuery nor rpcv2Cbor", Status: http.StatusBadRequest}
}

func unknownOperation(r *request) error {
	switch r.proto {
	case awsQuery:
		return errf("InvalidAction", "The action %s is not valid for this web service.", r.op)
	case rpcv2CBOR:
		return &Err{Code: "UnknownOperationException", Message: fmt.Sprintf("operation %s is not served", r.op), Status: http.StatusNotFound}
	}
	return errf("UnknownOperationException", "")
}

func throttling(r *request) error {
	if r.proto == awsJSON {
		return errf("ThrottlingException", "Rate exceeded")
	}
	return errf("Throttling", "Rate exceeded")
}

const requestID = "00000000-0000-4000-8000-000000000000"

func writeOutput(w http.ResponseWriter, r *request, out smithy.Serializable) {
	n := serialise(out)
	w.Header().Set("X-Amzn-RequestId", requestID)
	switch r.proto {
	case awsQuery:
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write(encodeQueryXML(r.op, elbNamespace, requestID, n))
	case rpcv2CBOR:
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		_, _ = w.Write(encodeCBOR(n))
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write(encodeJSON(n))
	}
}

func writeError(w http.ResponseWriter, r *request, err error) {
	var e *Err
	if !errors.As(err, &e) {
		e = &Err{Code: "InternalFailure", Message: err.Error(), Status: http.StatusInternalServerError}
	}
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	fault := "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	w.Header().Set("X-Amzn-RequestId", requestID)
	switch r.proto {
	case awsQuery:
		var b bytes.Buffer
		b.WriteString(`<ErrorResponse xmlns="` + elbNamespace + `"><Error><Type>` + fault + `</Type><Code>`)
		writeXMLText(&b, e.Code)
		b.WriteString(`</Code><Message>`)
		writeXMLText(&b, e.Message)
		b.WriteString(`</Message></Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`)
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		_, _ = w.Write(b.Bytes())
	case rpcv2CBOR:
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		// CloudWatch is awsQueryCompatible: the SDK takes the query error
		// code from this header when the body's type is not a modelled error.
		queryCode := e.QueryCode
		if queryCode == "" {
			queryCode = e.Code
		}
		w.Header().Set("X-Amzn-Query-Error", queryCode+";"+fault)
		w.WriteHeader(status)
		_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(e.Code), "message": cbor.String(e.Message)}))
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-ErrorType", e.Code)
		w.WriteHeader(status)
		body, _ := json.Marshal(map[string]string{"__type": e.Code, "message": e.Message})
		_, _ = w.Write(body)
	}
}
