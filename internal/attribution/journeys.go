// Package attribution splits the credit for conversions and conversion value
// across the marketing channels of customer journeys.
//
// A journey is an ordered path of channel touches (paid search > email >
// direct) with the number of conversions, the conversion value and the
// number of non-converting journeys ("nulls") that followed that exact path,
// as in the aggregated path files of the ChannelAttribution package. The
// models are the usual heuristics (first touch, last touch, last non-direct,
// linear, time decay, position-based), the Markov chain removal effect, solved
// exactly on the absorbing chain, and the "simplified" Shapley value of Zhao
// et al. (2018). Every model credits both conversions and value, and every
// model's conversion credits sum to the total conversions of the journeys
// (value likewise), so models can be compared channel by channel.
//
// The package is pure computation: journeys come from a path file
// (ReadPaths) or are added one by one (Journeys.Add) by whoever derives
// them from events.
package attribution

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// maxChannels bounds the channel ids, which are stored in 16 bits so that a
// million journeys of a few touches each stay a few megabytes.
const maxChannels = math.MaxUint16

// Journeys is a set of journeys held compactly: touches are channel ids in
// one flat slice, so the models walk memory in order and a million journeys
// cost a few bytes per touch. The zero value is not ready; use NewJourneys.
type Journeys struct {
	channels []string
	index    map[string]uint16
	touches  []uint16
	ends     []int // ends[i] is the end offset of journey i in touches
	conv     []float64
	value    []float64
	nulls    []float64
}

// Journey is one path with its outcomes, as added or read.
type Journey struct {
	// Path is the channels touched, in order, repeats as they happened.
	Path []string
	// Conversions is how many journeys along this path converted (a count,
	// fractional when weighted).
	Conversions float64
	// Value is the total conversion value of those conversions.
	Value float64
	// Nulls is how many journeys along this path did not convert.
	Nulls float64
}

// NewJourneys returns an empty set.
func NewJourneys() *Journeys {
	return &Journeys{index: map[string]uint16{}}
}

// Add appends a journey. Channel names are taken as given (the caller
// trims); an empty path or name, or a negative or non-finite count, is an
// error because every model would silently mis-credit it. Value without a
// conversion is an error too: value is credited along with conversions.
func (j *Journeys) Add(path []string, conversions, value, nulls float64) error {
	if len(path) == 0 {
		return errors.New("empty path")
	}
	for name, v := range map[string]float64{"conversions": conversions, "value": value, "nulls": nulls} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%s %v: want a finite number ≥ 0", name, v)
		}
	}
	if value > 0 && conversions == 0 {
		return fmt.Errorf("value %v without conversions", value)
	}
	start := len(j.touches)
	for _, ch := range path {
		id, err := j.channelID(ch)
		if err != nil {
			j.touches = j.touches[:start]
			return err
		}
		j.touches = append(j.touches, id)
	}
	j.ends = append(j.ends, len(j.touches))
	j.conv = append(j.conv, conversions)
	j.value = append(j.value, value)
	j.nulls = append(j.nulls, nulls)
	return nil
}

func (j *Journeys) channelID(name string) (uint16, error) {
	if id, ok := j.index[name]; ok {
		return id, nil
	}
	if name == "" {
		return 0, errors.New("empty channel name in path")
	}
	if len(j.channels) >= maxChannels {
		return 0, fmt.Errorf("more than %d channels", maxChannels)
	}
	id := uint16(len(j.channels))
	j.index[name] = id
	j.channels = append(j.channels, name)
	return id, nil
}

// Len is the number of journeys (paths) in the set.
func (j *Journeys) Len() int { return len(j.ends) }

// Channels lists the channel names in order of first appearance, the order
// every Result uses.
func (j *Journeys) Channels() []string { return append([]string(nil), j.channels...) }

// Journey returns journey i.
func (j *Journeys) Journey(i int) Journey {
	p := j.path(i)
	names := make([]string, len(p))
	for k, id := range p {
		names[k] = j.channels[id]
	}
	return Journey{Path: names, Conversions: j.conv[i], Value: j.value[i], Nulls: j.nulls[i]}
}

// Totals sums conversions, value and nulls over all journeys: the amounts
// every model distributes.
func (j *Journeys) Totals() (conversions, value, nulls float64) {
	for i := range j.ends {
		conversions += j.conv[i]
		value += j.value[i]
		nulls += j.nulls[i]
	}
	return
}

// path returns the channel ids of journey i, sharing memory with the set.
func (j *Journeys) path(i int) []uint16 {
	start := 0
	if i > 0 {
		start = j.ends[i-1]
	}
	return j.touches[start:j.ends[i]]
}

// Column names of the ChannelAttribution path format.
const (
	colPath  = "path"
	colConv  = "total_conversions"
	colValue = "total_conversion_value"
	colNull  = "total_null"
)

// ReadPaths reads the path format of the ChannelAttribution package: a
// `;`-separated CSV whose header names the columns path, total_conversions,
// total_conversion_value and total_null (the last two may be missing and
// then count 0; other columns are ignored), with paths written `a > b > c`.
// Channel names are trimmed of spaces. A bad row is an error naming its line
// and column, since a silently dropped row would shift every credit.
func ReadPaths(r io.Reader) (*Journeys, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	// A UTF-8 byte-order mark, which spreadsheet exports add, would
	// otherwise become part of the first column's name.
	if b, err := br.Peek(3); err == nil && string(b) == "\ufeff" {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.Comma = ';'
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file: want a header path;total_conversions;total_conversion_value;total_null")
	}
	if err != nil {
		return nil, err
	}
	col := map[string]int{colPath: -1, colConv: -1, colValue: -1, colNull: -1}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if c, ok := col[h]; ok {
			if c >= 0 {
				return nil, fmt.Errorf("line 1: column %q appears twice", h)
			}
			col[h] = i
		}
	}
	if col[colPath] < 0 || col[colConv] < 0 {
		return nil, fmt.Errorf("line 1: header %q lacks %q or %q (want path;total_conversions;total_conversion_value;total_null, separated by ';')",
			strings.Join(header, ";"), colPath, colConv)
	}
	j := NewJourneys()
	var names []string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			// csv.ParseError already names the line and column.
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		num := func(name string) (float64, error) {
			c := col[name]
			if c < 0 {
				return 0, nil
			}
			s := strings.TrimSpace(rec[c])
			if s == "" {
				return 0, nil
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return 0, fmt.Errorf("line %d, column %d (%s): %q is not a count ≥ 0", line, c+1, name, s)
			}
			return v, nil
		}
		conv, err := num(colConv)
		if err != nil {
			return nil, err
		}
		value, err := num(colValue)
		if err != nil {
			return nil, err
		}
		nulls, err := num(colNull)
		if err != nil {
			return nil, err
		}
		if value > 0 && conv == 0 {
			return nil, fmt.Errorf("line %d, column %d (%s): value %v without conversions", line, col[colValue]+1, colValue, value)
		}
		names = names[:0]
		for ch := range strings.SplitSeq(rec[col[colPath]], ">") {
			names = append(names, strings.TrimSpace(ch))
		}
		if err := j.Add(names, conv, value, nulls); err != nil {
			return nil, fmt.Errorf("line %d, column %d (%s): %q: %w", line, col[colPath]+1, colPath, rec[col[colPath]], err)
		}
	}
	return j, nil
}
