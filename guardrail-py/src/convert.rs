//! Python objects to and from `serde_json::Value`: the same JSON as everywhere else.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Deeper nesting is refused: it bounds the recursion (a self-referencing dict would
/// otherwise overflow the stack) and matches serde_json's own limit.
pub const MAX_DEPTH: usize = 128;

/// Converts a Python value (dict, list, tuple, str, int, float, bool, None) to JSON.
pub fn to_json(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    let mut path = String::new();
    to_json_at(obj, 0, &mut path)
}

fn where_(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!(" at `{path}`")
    }
}

fn to_json_at(obj: &Bound<'_, PyAny>, depth: usize, path: &mut String) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "value nested deeper than {MAX_DEPTH} levels{}",
            where_(path)
        )));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    // bool before int: in Python a bool is an int.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::Number(u.into()));
        }
        return Err(PyValueError::new_err(format!(
            "integer out of the 64-bit range{}",
            where_(path)
        )));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return Number::from_f64(v).map(Value::Number).ok_or_else(|| {
            PyValueError::new_err(format!("{v} is not a JSON number{}", where_(path)))
        });
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            let key = match k.cast::<PyString>() {
                Ok(k) => k.to_cow()?.into_owned(),
                Err(_) => {
                    return Err(PyTypeError::new_err(format!(
                        "dict keys must be str, not {}{}",
                        type_name(&k),
                        where_(path)
                    )))
                }
            };
            let len = path.len();
            path.push('/');
            path.push_str(&key);
            let value = to_json_at(&v, depth + 1, path)?;
            path.truncate(len);
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    let items: Option<Vec<Bound<'_, PyAny>>> = if let Ok(l) = obj.cast::<PyList>() {
        Some(l.iter().collect())
    } else if let Ok(t) = obj.cast::<PyTuple>() {
        Some(t.iter().collect())
    } else {
        None
    };
    if let Some(items) = items {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let len = path.len();
            path.push('/');
            path.push_str(&i.to_string());
            out.push(to_json_at(item, depth + 1, path)?);
            path.truncate(len);
        }
        return Ok(Value::Array(out));
    }
    Err(PyTypeError::new_err(format!(
        "cannot convert {} to JSON{}; use dict, list, tuple, str, int, float, bool or None",
        type_name(obj),
        where_(path)
    )))
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_string())
}

/// Converts JSON to the matching Python value (objects become dicts).
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// Converts any serializable core value (a finding, a decision) to Python through JSON.
pub fn serialize_to_py<'py, T: serde::Serialize>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let json = serde_json::to_value(value)
        .map_err(|e| PyValueError::new_err(format!("cannot convert to JSON: {e}")))?;
    to_py(py, &json)
}

/// Maps byte offsets into `text` to character (code point) offsets, in one pass over the
/// text whatever the number of offsets. Offsets not on a char boundary map to `None`.
pub fn char_offsets(text: &str, bytes: &[usize]) -> Vec<Option<usize>> {
    let mut order: Vec<usize> = (0..bytes.len()).collect();
    order.sort_by_key(|&i| bytes.get(i).copied().unwrap_or(0));
    let mut out = vec![None; bytes.len()];
    let (mut at_byte, mut at_char) = (0usize, 0usize);
    for i in order {
        let Some(&b) = bytes.get(i) else { continue };
        let Some(between) = text.get(at_byte..b) else {
            continue;
        };
        at_char += between.chars().count();
        at_byte = b;
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(at_char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_count_code_points() {
        let text = "é1€2🙂3";
        // bytes: é=0..2, 1=2, €=3..6, 2=6, 🙂=7..11, 3=11
        assert_eq!(
            char_offsets(text, &[11, 0, 6, 2, 12]),
            vec![Some(5), Some(0), Some(3), Some(1), Some(6)]
        );
        // 1 is inside `é`.
        assert_eq!(char_offsets(text, &[1, 3]), vec![None, Some(2)]);
        assert_eq!(char_offsets(text, &[99]), vec![None]);
    }
}
