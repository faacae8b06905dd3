package api

import "net/http"

// WriteItem and WriteList are writeItem and writeList, for TestItemJSONOfViews.
func WriteItem(w http.ResponseWriter, r *ItemResponse) { writeItem(w, r) }
func WriteList(w http.ResponseWriter, r *ListResponse) { writeList(w, r) }
