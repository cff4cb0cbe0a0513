package invoke

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// The results a handler may answer.
const (
	resultSuccess    = "success"
	resultFailure    = "failure"
	resultInProgress = "in_progress"
)

// Reply is a handler's answer, the last JSON object it printed.
type Reply struct {
	Result            string
	ContinuationToken string
	OutputVariables   map[string]string
	Message           string
}

// wireReply is a reply as printed; unknown keys are allowed.
type wireReply struct {
	Result            string                     `json:"result"`
	ContinuationToken string                     `json:"continuation_token"`
	OutputVariables   map[string]json.RawMessage `json:"output_variables"`
	Message           string                     `json:"message"`
}

// maxNesting bounds how many opening braces ParseReply tries as the start
// of the reply, counting back from the end.
const maxNesting = 256

// ParseReply finds the handler's reply at the end of its standard output
// (anything before it, like log lines, is ignored; only white space may
// follow it) and checks it. The error says what is wrong, for the
// action's failure message.
func ParseReply(stdout []byte) (Reply, error) {
	raw, err := lastObject(stdout)
	if err != nil {
		return Reply{}, err
	}
	var w wireReply
	if err := json.Unmarshal(raw, &w); err != nil {
		return Reply{}, fmt.Errorf("reply %s: %w", clip(raw), err)
	}
	r := Reply{Result: w.Result, ContinuationToken: w.ContinuationToken, Message: w.Message}
	switch w.Result {
	case resultSuccess, resultFailure:
	case resultInProgress:
		if w.ContinuationToken == "" {
			return Reply{}, errors.New(`reply: result "in_progress" needs a continuation_token`)
		}
	case "":
		return Reply{}, errors.New(`reply: "result" is missing (want "success", "failure" or "in_progress")`)
	default:
		return Reply{}, fmt.Errorf(`reply: result %q is not "success", "failure" or "in_progress"`, w.Result)
	}
	if len(w.OutputVariables) > 0 {
		r.OutputVariables = make(map[string]string, len(w.OutputVariables))
		for k, v := range w.OutputVariables {
			s, err := scalar(v)
			if k == "" || err != nil {
				return Reply{}, fmt.Errorf("reply: output_variables %q: want a string, number or boolean value", k)
			}
			r.OutputVariables[k] = s
		}
	}
	return r, nil
}

// lastObject returns the JSON object that ends stdout.
func lastObject(stdout []byte) ([]byte, error) {
	data := bytes.TrimRight(stdout, " \t\r\n")
	if len(data) == 0 {
		return nil, errors.New("the handler printed no reply on its standard output")
	}
	if data[len(data)-1] == '}' {
		end := len(data)
		for tries := 0; tries < maxNesting && end > 0; tries++ {
			i := bytes.LastIndexByte(data[:end], '{')
			if i < 0 {
				break
			}
			if json.Valid(data[i:]) {
				return data[i:], nil
			}
			end = i
		}
	}
	return nil, fmt.Errorf("the standard output does not end with a JSON object (it ends with %s)", clip(tailOf(data, 120)))
}

// scalar renders a JSON string, number or boolean as text.
func scalar(v json.RawMessage) (string, error) {
	var x any
	if err := json.Unmarshal(v, &x); err != nil {
		return "", err
	}
	switch x := x.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	}
	return "", errors.New("not a scalar")
}

func tailOf(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// clip quotes at most 200 bytes of b for a message.
func clip(b []byte) string {
	if len(b) > 200 {
		return strconv.Quote(string(b[:200])) + "…"
	}
	return strconv.Quote(string(b))
}
