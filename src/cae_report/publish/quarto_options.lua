--[[
quarto_options.lua: render an executed Jupyter notebook with plain pandoc the way Quarto
would, for the options this report uses. Only what Quarto does natively is here (the pandoc
path runs it, Quarto never does); the project's own rules are in the two filters that both
engines run: untrusted.lua (data is text: applied here to each markdown output as it is
read, and document-wide) and typography.lua (run after this one).

Run it with:
  pandoc NOTEBOOK.ipynb -f ipynb+raw_markdown --ipynb-output=all -L quarto_options.lua \
    -L typography.lua ...

Why these reader options:
  * --ipynb-output=all keeps every MIME representation of each output. Pandoc's own choice
    ("best") ranks a text/markdown output below text/plain for HTML, so the narrative would be
    printed as plain text; here we choose like Quarto does (see PRIORITY below).
  * +raw_markdown gives markdown cells (and we parse text/markdown outputs) with the full
    pandoc markdown reader, as Quarto does: citations (@fig-x), footnotes, fenced divs.

How the ipynb reader represents a notebook (pandoc 3.x): each cell is a Div with classes
{cell, markdown|code|raw} (id = cell id, attributes = cell metadata, tags JSON-encoded).
A code cell holds a CodeBlock (the source) then one Div per output with classes
{output, stream, stdout|stderr}, {output, display_data}, {output, execute_result} or
{output, error}. Inside a display_data/execute_result Div, each MIME type of the bundle is
one block, in MIME-type order:
  application/*json  -> CodeBlock with class json
  image/png|svg+xml  -> Para [Image src="<sha1>.png|svg"] (bytes in the media bag)
  text/html          -> RawBlock html
  text/latex         -> RawBlock latex
  text/markdown      -> RawBlock markdown
  text/plain         -> CodeBlock without class

What this filter does with the Quarto cell options (`#| key: value` lines):
  label: fig-*  -> a Figure with that id; caption from fig-cap; alt text from fig-alt or
                   the output's text/plain;
  label: tbl-*  -> the Table of the output gets that id and the tbl-cap caption (in HTML a
                   Figure holding the table, as Quarto writes it);
  echo          -> show the code (default: the `echo` of the document, false here);
  output        -> false drops the outputs; true also shows prints (stdout) and
                   execute_result (the merged notebook has no `asis`: assemble.py removes it);
  include:false -> drops the whole cell; warning/error: true keep stderr/error outputs.
Streams, execute_result and errors are debugging noise and are dropped unless asked for.
Figures and tables are numbered in document order; in HTML the caption starts with
"Figure N :" / "Tableau N :" and @fig-x / @tbl-x become links "Figure N"; in Typst the
numbering, captions and references are Typst's own (figure/ref), with French supplements
set by the template.
]]

local is_html = FORMAT:match("html") ~= nil
local is_typst = FORMAT:match("typst") ~= nil

-- Quarto's display-data priority (src/core/jupyter/display-data.ts): HTML-capable outputs
-- take text/html first; other formats take markdown, then SVG, PNG, JPEG, then plain text.
local PRIORITY
if is_html then
  PRIORITY = { "html", "markdown", "svg", "png", "jpeg", "plain" }
else
  PRIORITY = { "markdown", "svg", "png", "jpeg", "plain" }
end

local settings = {
  fig_title = "Figure",
  tbl_title = "Tableau",
  delim = "\u{a0}:",
  echo = false,
  media_dir = "media",
}

local function warn(message)
  io.stderr:write("[quarto_options.lua] " .. message .. "\n")
end

local stringify = pandoc.utils.stringify

-- Metadata and options -------------------------------------------------------------------

local function meta_text(value)
  if value == nil then
    return nil
  end
  return stringify(value)
end

local function read_settings(meta)
  local language = meta.language
  if type(language) == "table" then
    settings.fig_title = meta_text(language["crossref-fig-title"]) or settings.fig_title
    settings.tbl_title = meta_text(language["crossref-tbl-title"]) or settings.tbl_title
  end
  local crossref = meta.crossref
  if type(crossref) == "table" and crossref["title-delim"] ~= nil then
    settings.delim = meta_text(crossref["title-delim"])
  end
  local execute = meta.execute
  if type(meta.echo) == "boolean" then
    settings.echo = meta.echo
  elseif type(execute) == "table" and type(execute.echo) == "boolean" then
    settings.echo = execute.echo
  end
  if meta["cae-media-dir"] ~= nil then
    settings.media_dir = meta_text(meta["cae-media-dir"])
  elseif PANDOC_STATE.output_file then
    settings.media_dir = pandoc.path.join({ pandoc.path.directory(PANDOC_STATE.output_file), "media" })
  end
end

-- Split "#| key: value" lines from the code; parse them as YAML with pandoc's own reader,
-- so captions are markdown (as in Quarto) and booleans are booleans.
local function cell_options(code)
  local option_lines, rest = {}, {}
  local in_options = true
  for line in (code .. "\n"):gmatch("([^\n]*)\n") do
    local option = in_options and line:match("^#|%s?(.*)$")
    if option then
      table.insert(option_lines, option)
    else
      in_options = false
      table.insert(rest, line)
    end
  end
  local options = {}
  local raw = {}
  for _, line in ipairs(option_lines) do
    local key, value = line:match("^([%w%-_]+):%s*(.-)%s*$")
    if key and value ~= "" then
      raw[key] = value
    end
  end
  if #option_lines > 0 then
    local ok, doc = pcall(pandoc.read, "---\n" .. table.concat(option_lines, "\n") .. "\n---\n", "markdown")
    if ok then
      options = doc.meta
    else
      warn("invalid cell options: " .. table.concat(option_lines, " | "))
    end
  end
  local code = table.concat(rest, "\n"):gsub("^%s+", ""):gsub("%s+$", "")
  return options, code, raw
end

-- The text of a one-line string option, verbatim (not read as markdown): alt texts must
-- reach the reader exactly as written.
local function option_verbatim(raw, key)
  local value = raw[key]
  if value == nil then
    return nil
  end
  if value:sub(1, 1) == '"' then
    local ok, decoded = pcall(pandoc.json.decode, value)
    if ok and type(decoded) == "string" then
      return decoded
    end
  elseif value:sub(1, 1) == "'" and value:sub(-1) == "'" then
    return (value:sub(2, -2):gsub("''", "'"))
  end
  return value
end

local function option_string(options, key)
  local value = options[key]
  if value == nil or type(value) == "boolean" then
    return nil
  end
  return stringify(value)
end

local function option_inlines(options, key)
  local value = options[key]
  if value == nil or type(value) == "boolean" then
    return nil
  end
  if pandoc.utils.type(value) == "Inlines" then
    return value
  end
  if pandoc.utils.type(value) == "Blocks" then
    return pandoc.utils.blocks_to_inlines(value)
  end
  return pandoc.Inlines({ pandoc.Str(stringify(value)) })
end

local function has_tag(div, wanted)
  local tags = div.attributes.tags or ""
  for _, tag in ipairs(wanted) do
    if tags:find('"' .. tag .. '"', 1, true) then
      return true
    end
  end
  return false
end

-- Markdown ---------------------------------------------------------------------------------

-- The data-safety rules shared with Quarto (untrusted.lua), loaded as a module.
CAE_UNTRUSTED_AS_MODULE = true
local untrusted = dofile(pandoc.path.join({ pandoc.path.directory(PANDOC_SCRIPT_FILE), "untrusted.lua" }))
CAE_UNTRUSTED_AS_MODULE = nil

-- Markdown cells: the cooperative's own text (written chapters), read like Quarto does.
local function read_markdown(text)
  return pandoc.read(text, "markdown").blocks
end

-- A markdown output of a notebook: data, read the same way, then neutralized as Quarto's
-- run of untrusted.lua neutralizes its `cell-output-markdown` divs.
local function read_output_markdown(text)
  return untrusted.neutralize(read_markdown(text))
end

local function strip_ansi(text)
  return (text:gsub("\27%[[%d;]*[A-Za-z]", ""))
end

-- MIME representations ------------------------------------------------------------------------

-- The kind of one block of a display_data Div (see the header comment).
local function representation(block)
  if block.t == "RawBlock" then
    if block.format == "html" then
      return "html"
    elseif block.format == "markdown" then
      return "markdown"
    elseif block.format == "latex" then
      return "latex"
    end
  elseif block.t == "CodeBlock" then
    if #block.classes == 0 then
      return "plain"
    end
    return "json"
  elseif block.t == "Para" and #block.content == 1 and block.content[1].t == "Image" then
    local src = block.content[1].src:lower()
    if src:match("%.svg$") then
      return "svg"
    elseif src:match("%.png$") then
      return "png"
    elseif src:match("%.jpe?g$") then
      return "jpeg"
    end
    return "image"
  end
  return nil
end

-- Typst: the image file is written next to the Typst source (pandoc extracts only the
-- media of the Image elements it writes, and typography.lua turns Images into Typst
-- calls, as it does for Quarto's), with the alt text as Quarto gives it (`fig-alt`).
local function typst_image(image, alt, in_figure)
  local src = image.src
  local _, contents = pandoc.mediabag.lookup(src)
  if contents then
    pandoc.system.make_directory(settings.media_dir, true)
    local target = pandoc.path.join({ settings.media_dir, pandoc.path.filename(src) })
    local handle = io.open(target, "wb")
    if handle == nil then
      warn("cannot write " .. target)
    else
      handle:write(contents)
      handle:close()
    end
    image.src = pandoc.path.join({ pandoc.path.filename(settings.media_dir), pandoc.path.filename(src) })
  end
  if alt and alt ~= "" then
    image.attributes["fig-alt"] = alt
  end
  if in_figure then
    return pandoc.Plain({ image })
  end
  return pandoc.Para({ image })
end

-- The blocks to show for one display_data/execute_result output, and its alt text.
local function choose(output_div, asis)
  local by_kind = {}
  for _, block in ipairs(output_div.content) do
    local kind = representation(block)
    if kind and by_kind[kind] == nil then
      by_kind[kind] = block
    end
  end
  local plain = by_kind.plain and by_kind.plain.text or nil
  for _, kind in ipairs(PRIORITY) do
    local block = by_kind[kind]
    if block then
      if kind == "markdown" then
        return read_output_markdown(block.text), kind, plain
      elseif kind == "plain" then
        if asis then
          return read_output_markdown(block.text), kind, plain
        end
        return pandoc.Blocks({ pandoc.CodeBlock(strip_ansi(block.text)) }), kind, plain
      end
      return pandoc.Blocks({ block }), kind, plain
    end
  end
  return pandoc.Blocks({}), nil, plain
end

local VISUAL = { html = true, svg = true, png = true, jpeg = true, image = true }

-- Turn a chosen visual block into its final form, with the alt text.
local function visual_block(block, kind, alt, in_figure)
  if kind == "html" then
    local attr = pandoc.Attr("", { "cae-chart" }, {})
    if alt and alt ~= "" then
      -- A group, not an img: an img's content is hidden from assistive technology, and the
      -- chart holds focusable controls (plotly's mode bar buttons), so role="img" fails
      -- axe's nested-interactive rule (tests/test_accessibility.py).
      attr.attributes["role"] = "group"
      attr.attributes["aria-label"] = alt
    end
    return pandoc.Div({ block }, attr)
  end
  local image = block.content[1]
  if alt and alt ~= "" then
    image.caption = pandoc.Inlines({ pandoc.Str(alt) })
  end
  if is_typst then
    return typst_image(image, alt, in_figure)
  end
  if in_figure then
    return pandoc.Plain({ image })
  end
  return block
end

-- Cells ------------------------------------------------------------------------------------

local function first_table(blocks)
  for i, block in ipairs(blocks) do
    if block.t == "Table" then
      return i, block
    end
  end
  return nil
end

local function code_cell(div)
  if has_tag(div, { "parameters", "injected-parameters", "remove-cell" }) then
    return pandoc.Blocks({})
  end
  local source = ""
  local outputs = {}
  for _, block in ipairs(div.content) do
    if block.t == "CodeBlock" and source == "" and #outputs == 0 then
      source = block.text
    elseif block.t == "Div" and block.classes:includes("output") then
      table.insert(outputs, block)
    end
  end
  local options, code, raw_options = cell_options(source)
  if options.include == false then
    return pandoc.Blocks({})
  end
  local label = option_string(options, "label") or ""
  local echo = settings.echo
  if type(options.echo) == "boolean" then
    echo = options.echo
  end
  local output_option = options.output
  local asis = option_string(options, "output") == "asis"
  local show_output = output_option ~= false

  local result = pandoc.Blocks({})
  if echo and code ~= "" then
    result:insert(pandoc.CodeBlock(code, pandoc.Attr("", { "python" }, {})))
  end
  if not show_output then
    return result
  end

  local fig_alt = option_verbatim(raw_options, "fig-alt") or option_string(options, "fig-alt")
  local visuals = pandoc.Blocks({})
  local others = pandoc.Blocks({})
  for _, out in ipairs(outputs) do
    local classes = out.classes
    if classes:includes("stream") then
      -- prints are shown only with an explicit `output: true` (asis concerns the markdown
      -- output), warnings (stderr) only with `warning: true`
      local wanted = (classes:includes("stderr") and options.warning == true)
        or (classes:includes("stdout") and output_option == true)
      if wanted then
        local text = stringify(out.content[1] and out.content[1].text or "")
        others:insert(pandoc.CodeBlock(strip_ansi(text)))
      end
    elseif classes:includes("error") then
      if options.error == true then
        for _, block in ipairs(out.content) do
          if block.t == "CodeBlock" then
            others:insert(pandoc.CodeBlock(strip_ansi(block.text)))
          end
        end
      end
    elseif classes:includes("display_data") or classes:includes("execute_result") then
      local keep = classes:includes("display_data") or output_option == true
      if keep then
        local blocks, kind, plain = choose(out, asis)
        if kind and VISUAL[kind] then
          local alt = fig_alt or plain
          visuals:insert({ block = blocks[1], kind = kind, alt = alt })
        else
          others:extend(blocks)
        end
      end
    end
  end

  if label:match("^fig%-") and #visuals > 0 then
    local content = pandoc.Blocks({})
    for _, v in ipairs(visuals) do
      content:insert(visual_block(v.block, v.kind, v.alt, true))
    end
    local caption = option_inlines(options, "fig-cap") or pandoc.Inlines({})
    result:extend(others)
    result:insert(pandoc.Figure(content, { pandoc.Plain(caption) }, pandoc.Attr(label, { "cae-figure" }, {})))
    return result
  end

  for _, v in ipairs(visuals) do
    others:insert(visual_block(v.block, v.kind, v.alt, false))
  end
  -- A labelled cell may rightly show nothing (no data this year): warn only when it shows
  -- something that cannot carry the label.
  if label:match("^tbl%-") then
    local index, tbl = first_table(others)
    if #others == 0 then
      return result
    elseif tbl then
      local caption = option_inlines(options, "tbl-cap")
      if is_html then
        -- As Quarto writes it: a figure holding the table, its caption a figcaption (shown
        -- above the table by report.css), outside the box in which a wide table scrolls.
        tbl.identifier = ""
        tbl.caption = { long = {} }
        others[index] = pandoc.Figure(
          { tbl },
          { pandoc.Plain(caption or pandoc.Inlines({})) },
          pandoc.Attr(label, { "cae-table-figure" }, {})
        )
      else
        tbl.identifier = label
        if caption then
          tbl.caption = { long = { pandoc.Plain(caption) } }
        end
        others[index] = tbl
      end
    else
      warn("cell " .. label .. ": no table in its outputs")
    end
  elseif label:match("^fig%-") and #others > 0 then
    warn("cell " .. label .. ": no image or chart in its outputs")
  end
  result:extend(others)
  return result
end

local function markdown_cell(div)
  local blocks = pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    if block.t == "RawBlock" and block.format == "markdown" then
      blocks:extend(read_markdown(block.text))
    else
      blocks:insert(block)
    end
  end
  return blocks
end

local function raw_cell(div)
  local blocks = pandoc.Blocks({})
  for _, block in ipairs(div.content) do
    -- A raw cell without a format is pandoc's "ipynb" raw block: the YAML front matter,
    -- read by the Python side (pandoc_engine.py) and passed as metadata.
    if not (block.t == "RawBlock" and block.format == "ipynb") then
      blocks:insert(block)
    end
  end
  return blocks
end

-- Cross-references ---------------------------------------------------------------------------

local numbers = {}

local function number_floats(blocks)
  local counts = { fig = 0, tbl = 0 }
  local function register(id)
    local kind = id:match("^(%a+)%-")
    if counts[kind] == nil then
      return nil
    end
    if numbers[id] then
      warn("duplicate label " .. id)
      return numbers[id]
    end
    counts[kind] = counts[kind] + 1
    numbers[id] = { kind = kind, number = counts[kind] }
    return numbers[id]
  end
  local function prefix(entry)
    local title = entry.kind == "fig" and settings.fig_title or settings.tbl_title
    -- Quarto's inlines for a caption's title (typography.lua styles the number)
    return pandoc.Inlines({
      pandoc.Str(title),
      pandoc.Str("\u{a0}"),
      pandoc.Str(tostring(entry.number)),
      pandoc.Str(settings.delim),
      pandoc.Space(),
    })
  end
  local function add_prefix(caption, entry)
    if not is_html then
      return caption
    end
    local long = caption.long
    if #long == 0 then
      long = pandoc.Blocks({ pandoc.Plain(pandoc.Inlines({})) })
    end
    local first = long[1]
    if first.t == "Plain" or first.t == "Para" then
      local inlines = prefix(entry)
      inlines:extend(first.content)
      first.content = inlines
      long[1] = first
    end
    caption.long = long
    return caption
  end
  return blocks:walk({
    traverse = "topdown",
    Figure = function(fig)
      if fig.identifier ~= "" then
        local entry = register(fig.identifier)
        if entry then
          fig.caption = add_prefix(fig.caption, entry)
          return fig
        end
      end
    end,
    Table = function(tbl)
      if tbl.identifier ~= "" then
        local entry = register(tbl.identifier)
        if entry then
          tbl.caption = add_prefix(tbl.caption, entry)
          return tbl
        end
      end
    end,
  })
end

local function resolve_refs(blocks)
  return blocks:walk({
    Cite = function(cite)
      local parts = pandoc.Inlines({})
      for i, citation in ipairs(cite.citations) do
        local entry = numbers[citation.id]
        if entry == nil then
          if citation.id:match("^fig%-") or citation.id:match("^tbl%-") then
            warn("unresolved cross-reference @" .. citation.id)
            return pandoc.Strong({ pandoc.Str("?@" .. citation.id) })
          end
          return nil
        end
        if i > 1 then
          parts:insert(pandoc.Str(","))
          parts:insert(pandoc.Space())
        end
        local bare = citation.mode == "SuppressAuthor"
        if is_typst then
          local call = bare and ("#ref(<" .. citation.id .. ">, supplement: none)")
            or ("#ref(<" .. citation.id .. ">)")
          parts:insert(pandoc.RawInline("typst", call))
        else
          local title = entry.kind == "fig" and settings.fig_title or settings.tbl_title
          local text = bare and pandoc.Inlines({ pandoc.Str(tostring(entry.number)) })
            or pandoc.Inlines({ pandoc.Str(title .. "\u{a0}" .. entry.number) })
          parts:insert(pandoc.Link(text, "#" .. citation.id, "", pandoc.Attr("", { "xref" }, {})))
        end
      end
      return parts
    end,
  })
end

-- Headers parsed cell by cell may repeat ids ("methode" in two chapters): make them unique,
-- as pandoc does for a single document.
local function unique_ids(blocks)
  local seen = {}
  for id, _ in pairs(numbers) do
    seen[id] = true
  end
  return blocks:walk({
    Header = function(header)
      local id = header.identifier
      if id == "" then
        return nil
      end
      if seen[id] then
        local n = 1
        while seen[id .. "-" .. n] do
          n = n + 1
        end
        header.identifier = id .. "-" .. n
      end
      seen[header.identifier] = true
      return header
    end,
  })
end

function Pandoc(doc)
  read_settings(doc.meta)
  untrusted.read_trust(doc.meta)
  local blocks = pandoc.Blocks({})
  for _, block in ipairs(doc.blocks) do
    if block.t == "Div" and block.classes:includes("cell") then
      if block.classes:includes("code") then
        blocks:extend(code_cell(block))
      elseif block.classes:includes("markdown") then
        blocks:extend(markdown_cell(block))
      elseif block.classes:includes("raw") then
        blocks:extend(raw_cell(block))
      else
        blocks:insert(block)
      end
    else
      blocks:insert(block)
    end
  end
  blocks = untrusted.document_pass(blocks)
  blocks = number_floats(blocks)
  blocks = unique_ids(blocks)
  blocks = resolve_refs(blocks)
  doc.blocks = blocks
  -- The notebook's own metadata is of no use to the writers.
  doc.meta.jupyter = nil
  doc.meta["cae-trust"] = nil
  return doc
end
